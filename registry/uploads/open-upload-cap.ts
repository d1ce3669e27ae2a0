/**
 * The cap on upload sessions one principal holds open at once (`registry.maxOpenUploads`), shared
 * by both kinds of sessions: past it, TOOMANYREQUESTS (429) until one is finished, cancelled or
 * expired. The store's own uploads have no owner ('') and no cap.
 */
import { OciError } from '../errors.js';
import type { RegistryMetadata } from '../metadata/registry-metadata.js';

export async function assertRoomForUpload(
  meta: RegistryMetadata,
  owner: string,
  max: number,
): Promise<void> {
  if (owner === '' || max === Infinity) return;
  if ((await meta.openUploadsOf(owner)) < max) return;
  throw tooManyUploads(max);
}

/** The refusal, also when `RegistryMetadata.createUpload` finds the cap reached at the insert. */
export function tooManyUploads(max: number): OciError {
  return new OciError('TOOMANYREQUESTS', 'too many upload sessions open', {
    limit: max,
    hint: 'finish or cancel (DELETE) an open upload session first',
  });
}
