/**
 * What belongs to an app version on a store (ARCHITECTURE.md §3, §8): the bundle index and its
 * whole graph (the template artifact, every component image with all platforms); each plugin's
 * image, held in the app's repository under `<version>-plugin-<plugin_key>` (as push and
 * import-rainbond write it) or else where the template's `share_image` names it on this store;
 * and the referrers (signatures, SBOMs) of every manifest, theirs included. What the store mirror copies, `appshelf
 * export` writes and `appshelf import` checks.
 *
 * The walk returns both views callers need: `roots`, in the order to feed them to `copyImage`
 * (subjects before their referrers), and `items`, every manifest and blob once per repository.
 */
import {
  BundleAnnotations,
  BundleTypes,
  MAX_TEMPLATE_BYTES,
  pluginTag,
} from '../../schemas/bundle.js';
import type { Descriptor, Digest } from '../../schemas/oci.js';
import { isNonDistributable } from './copy-blob.js';
import type { CallOptions } from './content.js';
import { isDigest, readLimited } from './digest.js';
import { ClientError, isClientError } from './errors.js';
import { isIndexType, isManifestType, parseNode } from './manifest.js';
import type { RegistryClient } from './registry-client.js';
import { splitRepositoryReference } from './image-reference.js';

export type ClosureRole = 'bundle' | 'plugin' | 'referrer';

/** One manifest to copy with everything below it: `copyImage({ from: { repository, reference: digest }, to: { tag } })`. */
export interface ClosureRoot {
  role: ClosureRole;
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  /** The tag it goes under on the other side (the version; a plugin image's own tag); none for referrers. */
  tag?: string | undefined;
  /** The plugin's `plugin_key` (plugins), or the subject's digest (referrers). */
  of?: string | undefined;
}

export interface ClosureItem {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
}

/** A plugin image the template names on another registry: not on the store, so not in the closure. */
export interface ExternalPlugin {
  pluginKey: string;
  ref: string;
}

export interface AppClosure {
  repository: string;
  /** The version tag (the reference asked for, or the bundle's version annotation). */
  version: string | undefined;
  bundle: Descriptor;
  roots: ClosureRoot[];
  items: ClosureItem[];
  /** Sum of `items` sizes. */
  bytes: number;
  external: ExternalPlugin[];
}

export interface AppClosureOptions extends CallOptions {
  /** Other names of the store's registry (its public hostname): plugin images there are on the store. */
  ownHosts?: readonly string[];
  /** Follow referrers (default true). */
  referrers?: boolean;
}

/** Walks the app version `repository:reference` (a tag or a digest) on `client`. */
export async function appClosure(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: AppClosureOptions = {},
): Promise<AppClosure> {
  const call = options.signal ? { signal: options.signal } : {};
  const own = new Set([client.host, ...(options.ownHosts ?? [])].map((h) => h.toLowerCase()));
  const roots: ClosureRoot[] = [];
  const items = new Map<string, ClosureItem>();
  const walked = new Set<string>();
  let templateLayer: Descriptor | undefined;

  const add = (repo: string, d: Descriptor): boolean => {
    const key = `${repo}@${d.digest}`;
    if (items.has(key)) return false;
    items.set(key, { repository: repo, digest: d.digest, mediaType: d.mediaType, size: d.size });
    return true;
  };

  /** A manifest and everything below it; `manifests` collects the manifests met, for referrers. */
  const walk = async (repo: string, d: Descriptor, manifests: Descriptor[]): Promise<void> => {
    if (isNonDistributable(d) || !add(repo, d)) return;
    if (!isManifestType(d.mediaType)) return;
    manifests.push(d);
    const { bytes } = await client.fetchManifest(repo, d.digest, call);
    const node = parseNode(bytes, d.mediaType);
    if (node.kind === 'index') {
      for (const child of node.manifests) await walk(repo, child, manifests);
      return;
    }
    templateLayer ??= node.layers.find((l) => l.mediaType === BundleTypes.template);
    await walk(repo, node.config, manifests);
    for (const layer of node.layers) await walk(repo, layer, manifests);
  };

  /** A root's graph, then (each once) the referrers of every manifest in it. */
  const root = async (r: ClosureRoot): Promise<void> => {
    if (walked.has(`${r.repository}@${r.digest}`)) return;
    walked.add(`${r.repository}@${r.digest}`);
    roots.push(r);
    const manifests: Descriptor[] = [];
    await walk(r.repository, pick(r), manifests);
    if (options.referrers === false) return;
    for (const subject of manifests)
      for (const referrer of await client.referrers(r.repository, subject.digest, call))
        await root({
          role: 'referrer',
          repository: r.repository,
          digest: referrer.digest,
          mediaType: referrer.mediaType,
          size: referrer.size,
          of: subject.digest,
        });
  };

  const bundle = await client.resolve(repository, reference, call);
  if (!isIndexType(bundle.mediaType))
    throw new ClientError(
      'invalid',
      `${repository}:${reference} is not an app bundle (not an index)`,
    );
  const { bytes: indexBytes } = await client.fetchManifest(repository, bundle.digest, call);
  const annotations = (
    JSON.parse(indexBytes.toString('utf8')) as { annotations?: Record<string, string> }
  ).annotations;
  const version = isDigest(reference) ? annotations?.[BundleAnnotations.version] : reference;
  await root({ role: 'bundle', repository, ...pick(bundle), tag: version });
  if (!templateLayer)
    throw new ClientError(
      'invalid',
      `${repository}:${reference} is not an app bundle (no template.json)`,
    );

  const external: ExternalPlugin[] = [];
  for (const plugin of templatePlugins(
    await readTemplate(client, repository, templateLayer, call),
  )) {
    const found = await pluginImage(client, repository, version, plugin, own, call);
    if (!found) {
      external.push(plugin);
      continue;
    }
    await root({ role: 'plugin', ...found, of: plugin.pluginKey });
  }
  const list = [...items.values()];
  return {
    repository,
    version,
    bundle: pick(bundle),
    roots,
    items: list,
    bytes: list.reduce((n, i) => n + i.size, 0),
    external,
  };
}

/** Where the plugin's image is on the store: the app's plugin tag, else its share_image here. */
async function pluginImage(
  client: RegistryClient,
  repository: string,
  version: string | undefined,
  plugin: ExternalPlugin,
  own: ReadonlySet<string>,
  call: CallOptions,
): Promise<(Descriptor & { repository: string; tag: string | undefined }) | undefined> {
  const tryResolve = async (repo: string, reference: string) => {
    try {
      return await client.resolve(repo, reference, call);
    } catch (err) {
      if (isClientError(err, 'not_found')) return undefined;
      throw err;
    }
  };
  if (version !== undefined) {
    const tag = pluginTag(version, plugin.pluginKey);
    const held = await tryResolve(repository, tag);
    if (held) return { ...pick(held), repository, tag };
  }
  const ref = splitRef(plugin.ref);
  if (!ref || !own.has(ref.host)) return undefined;
  const named = await tryResolve(ref.repository, ref.reference);
  if (!named)
    throw new ClientError(
      'not_found',
      `plugin ${plugin.pluginKey}: ${plugin.ref} is not on the store`,
    );
  return {
    ...pick(named),
    repository: ref.repository,
    tag: isDigest(ref.reference) ? undefined : ref.reference,
  };
}

function pick(d: Pick<Descriptor, 'digest' | 'mediaType' | 'size'>): Descriptor {
  return { digest: d.digest, mediaType: d.mediaType, size: d.size };
}

async function readTemplate(
  client: RegistryClient,
  repository: string,
  layer: Descriptor,
  call: CallOptions,
): Promise<unknown> {
  if (layer.size > MAX_TEMPLATE_BYTES)
    throw new ClientError('too_large', `template.json is ${layer.size} bytes`);
  const bytes = await readLimited(
    await client.fetchBlob(repository, layer, call),
    MAX_TEMPLATE_BYTES,
    'template.json',
  );
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new ClientError('protocol', 'template.json is not JSON', { cause: err });
  }
}

/** `plugins[].share_image` of a template, by `plugin_key`. */
export function templatePlugins(template: unknown): ExternalPlugin[] {
  const plugins = (template as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(plugins)) return [];
  return plugins.flatMap((p: { plugin_key?: unknown; share_image?: unknown } | null) =>
    typeof p?.plugin_key === 'string' && typeof p.share_image === 'string' && p.share_image !== ''
      ? [{ pluginKey: p.plugin_key, ref: p.share_image }]
      : [],
  );
}

/** `host/repo:tag` or `host/repo@digest`; undefined without a registry host (Docker Hub's short names). */
function splitRef(
  ref: string,
): { host: string; repository: string; reference: string } | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const host = ref.slice(0, slash).toLowerCase();
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') return undefined;
  const split = splitRepositoryReference(ref.slice(slash + 1));
  return split ? { host, ...split } : undefined;
}
