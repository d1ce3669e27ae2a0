/**
 * The version `pull` and `install` take when the reference names none: the newest version on the
 * app's shelf (ready, in a package), in the store's version order; for an app with no listed
 * version (a private one, seen by its members), the newest ready version.
 */
import type { AppRef } from './app-ref.js';
import { failure } from './errors.js';
import type { StoreApi } from './store-api.js';
import { appPath, type AppView, type VersionView } from './store-views.js';

export async function defaultVersion(api: StoreApi, ref: AppRef): Promise<string> {
  const [app, versions] = await Promise.all([
    api.get<AppView>(appPath(ref)),
    api.get<{ versions: VersionView[] }>(appPath(ref, '/versions')),
  ]);
  // The API lists versions in the store's order, newest first.
  const ready = versions.versions.filter((v) => v.state === 'ready');
  const listed = new Set(app.packages.flatMap((p) => p.versions));
  const chosen = ready.find((v) => listed.has(v.version)) ?? ready[0];
  if (!chosen)
    throw failure(
      `${ref.namespace}/${ref.app} has no version ready to install`,
      'push one ("appshelf push") or publish a draft ("appshelf publish")',
    );
  return chosen.version;
}
