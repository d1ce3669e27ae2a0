/**
 * An app reference: `[<store>/]<namespace>/<app>[:<version>][@<digest>]`, where `<store>` is
 * host[:port] (or http(s)://host[:port]) and defaults to --store, APPSHELF_STORE or the default
 * store of the settings.
 */
import {
  APP_NAME,
  APP_NAME_MAX,
  APP_NAME_RULE,
  NAMESPACE_NAME,
  NAMESPACE_NAME_RULE,
} from '../schemas/names.js';
import { TAG_PATTERN, type Digest } from '../schemas/oci.js';
import { isDigest } from '../registry/client/index.js';
import { usage } from './errors.js';

export interface AppRef {
  /** The store as written in the reference (host[:port] or a URL), when it names one. */
  store: string | undefined;
  namespace: string;
  app: string;
  version: string | undefined;
  digest: Digest | undefined;
}

const FORM = '[<store>/]<namespace>/<app>[:<version>]';

function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

export function parseAppRef(text: string): AppRef {
  const bad = (why: string) =>
    usage(`"${text}" is not an app reference (${why})`, `write ${FORM}, e.g. acme/hello:1.0.0`);
  let rest = text.trim();
  let scheme = '';
  const schemeMatch = /^(https?:\/\/)/i.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!;
    rest = rest.slice(scheme.length);
  }
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad('the part after @ is not a digest');
    digest = d;
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  let version: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    version = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_PATTERN.test(version)) throw bad(`"${version}" is not a valid version tag`);
  }
  const segments = rest.split('/');
  let store: string | undefined;
  if (scheme || (segments.length > 2 && looksLikeHost(segments[0]!)))
    store = scheme + segments.shift()!;
  if (segments.length !== 2)
    throw bad(
      segments.length < 2 ? 'it needs a namespace and an app name' : 'too many path segments',
    );
  const [namespace = '', app = ''] = segments;
  if (!NAMESPACE_NAME.test(namespace)) throw bad(`a namespace is ${NAMESPACE_NAME_RULE}`);
  if (!APP_NAME.test(app) || app.length > APP_NAME_MAX)
    throw bad(`an app name is ${APP_NAME_RULE}`);
  return { store, namespace, app, version, digest };
}

export function repositoryOf(ref: Pick<AppRef, 'namespace' | 'app'>): string {
  return `${ref.namespace}/${ref.app}`;
}

/** `<host>/<ns>/<app>` plus `:<version>` and/or `@<digest>`. */
export function formatRef(
  host: string,
  ref: Pick<AppRef, 'namespace' | 'app'>,
  version?: string,
  digest?: string,
): string {
  return `${host}/${repositoryOf(ref)}${version ? `:${version}` : ''}${digest ? `@${digest}` : ''}`;
}
