/**
 * What `appshelf export` takes: app references and globs, `[<store>/]<namespace>/<app>[:<version>]`
 * or `...@<digest>`, where `*` (any run of characters) and `?` (one character) may stand in the
 * app name and the version. No version: every ready version. The namespace is always written out.
 *
 *   acme/wordpress:1.2.0   one version        acme/wordpress     its ready versions
 *   'acme/*'               every app of acme  'acme/*:2.*'       their 2.x versions
 */
import { TAG_PATTERN } from '../schemas/oci.js';
import { parseAppRef, repositoryOf, type AppRef } from './app-ref.js';
import { usage } from './errors.js';
import type { StoreApi } from './store-api.js';

export interface Selector {
  text: string;
  store: string | undefined;
  namespace: string;
  /** A name or a glob. */
  app: string;
  /** A tag, a glob, or undefined (every ready version). */
  version: string | undefined;
  digest: AppRef['digest'];
}

export interface SelectedVersion {
  namespace: string;
  app: string;
  repository: string;
  /** The version tag, or the digest asked for. */
  reference: string;
}

const GLOB = /[*?]/;
const NAME_GLOB = /^[a-z0-9*?]+(?:(?:[._]|__|-+)[a-z0-9*?]+)*$/;
const TAG_GLOB = /^[a-zA-Z0-9_*?][a-zA-Z0-9._*?-]{0,127}$/;

export function isGlob(text: string | undefined): boolean {
  return text !== undefined && GLOB.test(text);
}

export function globMatcher(glob: string): (text: string) => boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${pattern}$`);
  return (text) => re.test(text);
}

export function parseSelector(text: string): Selector {
  if (!isGlob(text)) {
    const ref = parseAppRef(text);
    return { text, ...ref };
  }
  const bad = (why: string) =>
    usage(
      `"${text}" is not an app reference or glob (${why})`,
      "write [<store>/]<namespace>/<app>[:<version>], where * and ? may stand in the app and version, e.g. 'acme/*:2.*'",
    );
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  const version = colon > slash ? text.slice(colon + 1) : undefined;
  const head = colon > slash ? text.slice(0, colon) : text;
  if (version !== undefined && !(isGlob(version) ? TAG_GLOB : TAG_PATTERN).test(version))
    throw bad(`"${version}" is not a version tag or glob`);
  const app = head.slice(head.lastIndexOf('/') + 1);
  if (!NAME_GLOB.test(app)) throw bad(`"${app}" is not an app name or glob`);
  // The rest is an ordinary reference; parse it with a stand-in app name.
  const rest = parseAppRef(`${head.slice(0, head.lastIndexOf('/') + 1)}x`);
  if (isGlob(rest.namespace)) throw bad('the namespace must be written out');
  return { text, store: rest.store, namespace: rest.namespace, app, version, digest: undefined };
}

/** The app versions the selectors name on the store, each once, in the order given. */
export async function selectVersions(
  api: StoreApi,
  selectors: readonly Selector[],
): Promise<SelectedVersion[]> {
  const found = new Map<string, SelectedVersion>();
  for (const sel of selectors) {
    const apps = isGlob(sel.app)
      ? (await api.get<{ apps: { name: string }[] }>(`/publishers/${sel.namespace}`)).apps
          .map((a) => a.name)
          .filter(globMatcher(sel.app))
      : [sel.app];
    let matched = 0;
    for (const app of apps) {
      const repository = repositoryOf({ namespace: sel.namespace, app });
      const references =
        sel.digest !== undefined
          ? [sel.digest]
          : sel.version !== undefined && !isGlob(sel.version)
            ? [sel.version]
            : (
                await api.get<{ versions: { version: string; state: string }[] }>(
                  `/apps/${repository}/versions`,
                )
              ).versions
                .filter((v) => v.state === 'ready')
                .map((v) => v.version)
                .filter(sel.version === undefined ? () => true : globMatcher(sel.version));
      for (const reference of references) {
        matched++;
        found.set(`${repository}:${reference}`, {
          namespace: sel.namespace,
          app,
          repository,
          reference,
        });
      }
    }
    if (matched === 0)
      throw usage(
        `${sel.text} matches no app version on the store`,
        'check the names ("appshelf search" and "appshelf versions" list them)',
      );
  }
  return [...found.values()];
}
