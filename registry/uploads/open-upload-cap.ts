/**
 * The cap on upload sessions one principal holds open at once (`registry.maxOpenUploads`), shared
 * by both kinds of sessions: past it, TOOMANYREQUESTS (429) until one is finished, cancelled or
 * expired. The store's own uploads have no owner ('') and no cap.
 */
import { OciError } from '../errors.js';
import type { RegistryMetadata } from '../metadata/registry-metadata.js';

export function assertRoomForUpload(meta: RegistryMetadata, owner: string, max: number): void {
  if (owner === '' || max === Infinity) return;
  if (meta.openUploadsOf(owner) < max) return;
  throw new OciError('TOOMANYREQUESTS', 'too many upload sessions open', {
    limit: max,
    hint: 'finish or cancel (DELETE) an open upload session first',
  });
}
