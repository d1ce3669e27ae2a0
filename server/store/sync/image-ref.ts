/**
 * Source image references as templates write them (`mysql:8.0`, `hub.example.com/acme/web:1`,
 * `host:5000/a/b@sha256:...`), normalised as Docker does, and the credentials that go with them.
 */
import type { RegistryCredential } from '../../../schemas/sync.js';
import type { KeptCredential } from '../kept-credentials.js';

export interface ImageRef {
  /** `host[:port]` to connect to (`registry-1.docker.io` for Docker Hub). */
  host: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

const DOCKER_HUB = 'registry-1.docker.io';
const DOCKER_HUB_NAMES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/;

export class ImageRefError extends Error {
  override readonly name = 'ImageRefError';
}

/** Parses a reference; throws ImageRefError naming what is wrong. */
export function parseImageRef(ref: string): ImageRef {
  const text = ref.trim();
  if (text === '' || /\s/.test(text) || text.includes('://'))
    throw new ImageRefError(`not an image reference: "${ref}"`);
  let name = text;
  let reference = 'latest';
  const at = name.indexOf('@');
  if (at !== -1) {
    reference = name.slice(at + 1);
    name = name.slice(0, at);
    if (!DIGEST.test(reference)) throw new ImageRefError(`bad digest in "${ref}"`);
  }
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    const tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`bad tag in "${ref}"`);
    if (at === -1) reference = tag; // name:tag@digest pulls by digest
  }
  const parts = name.split('/');
  const first = parts[0] ?? '';
  let host = DOCKER_HUB;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    host = DOCKER_HUB_NAMES.has(first) ? DOCKER_HUB : first;
    parts.shift();
  }
  if (host === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p)))
    throw new ImageRefError(`bad repository name in "${ref}"`);
  return { host, repository: parts.join('/'), reference };
}

/** `host[:port]` of a registry as a person writes it (`https://hub.example.com/`, `docker.io`). */
export function registryHost(value: string): string {
  const host = value
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_NAMES.has(host) ? DOCKER_HUB : host;
}

/**
 * Credentials for `host`: those given with the request win; else those the draft's template named
 * for the component (kept for the sync), when they are for the same registry (or name none).
 */
export function credentialsFor(
  host: string,
  given: readonly RegistryCredential[],
  kept: KeptCredential | undefined,
): { username: string; password: string } | undefined {
  const match = given.find((c) => registryHost(c.registry) === host);
  if (match) return { username: match.username, password: match.password };
  if (!kept || kept.username === '') return undefined;
  if (kept.hubUrl !== '' && registryHost(kept.hubUrl) !== host) return undefined;
  return { username: kept.username, password: kept.password };
}
