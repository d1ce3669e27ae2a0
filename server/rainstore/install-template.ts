/**
 * The template a Rainbond console installs from (rainstore-api.md §4.11, §4.14, §5): group fields
 * stamped from the app and version, each component's image the store-kept tag reference
 * `<host>/<namespace>/<app>:<version>-<service_key>` (ARCHITECTURE.md §3: the console splits
 * image references at the last `:`), and the store's images pulled with the credentials given:
 * the installer's own for this app (server/auth/pull-credentials.ts), or none for anonymous pulls.
 * A plugin whose image the store keeps under `<version>-plugin-<plugin_key>` is pointed at it.
 */
import { componentTag, pluginTag } from '../../schemas/bundle.js';
import type { Json } from '../../schemas/ram.js';
import { StoreError } from '../errors.js';
import type { AppRow, VersionRow } from '../store/app-access.js';
import { repositoryOf } from '../store/version-index.js';
import type { RegistryCredentials } from './robots.js';
import { storeImageRef } from './store-images.js';
import {
  credentialsOf,
  hubHost,
  imageSlots,
  objectsAt,
  setCredentials,
} from './template-images.js';

type JsonObject = { [key: string]: Json };

export async function installTemplate(
  app: AppRow,
  row: VersionRow,
  hub: string,
  ownHosts: ReadonlySet<string>,
  pull: RegistryCredentials | null,
  /** Whether the store holds `repository:tag` (a plugin image under the app's plugin tag). */
  holds: (repository: string, tag: string) => boolean | Promise<boolean> = () => false,
): Promise<JsonObject> {
  if (row.state !== 'ready')
    throw new StoreError(
      'conflict',
      `version ${row.version} is ${row.state}: its images are not in the store yet`,
    );
  const template = JSON.parse(row.template) as JsonObject;
  template.group_key = app.appKey;
  template.group_version = row.version;
  if (typeof template.group_name !== 'string' || template.group_name === '')
    template.group_name = app.displayName || app.name;
  const repository = repositoryOf(app);
  for (const part of objectsAt(template, 'apps')) {
    const image = `${hub}/${repository}:${componentTag(row.version, String(part.service_key))}`;
    part.share_image = image;
    if (typeof part.image === 'string') part.image = image;
    setCredentials({ owner: part, kind: 'component' }, hub, repository, pull);
  }
  for (const slot of imageSlots(template)) {
    if (slot.kind !== 'plugin') continue;
    // Pushed, imported or mirrored with the app: pulled from the store's copy (an air-gapped
    // site cannot reach the registry the template names).
    const tag = pluginTag(row.version, String(slot.owner.plugin_key ?? ''));
    if (slot.owner.plugin_key && (await holds(repository, tag))) {
      slot.owner.share_image = `${hub}/${repository}:${tag}`;
      setCredentials(slot, hub, repository, pull);
      continue;
    }
    const local = storeImageRef(slot.ref, ownHosts);
    if (local || ownHosts.has(hubHost(credentialsOf(slot)?.hub_url)))
      setCredentials(slot, hub, repository, pull);
  }
  return template;
}
