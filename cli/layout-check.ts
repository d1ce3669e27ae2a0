/**
 * Checks, before an import pushes anything, that an OCI layout holds the whole graph of each entry
 * with the right bytes: every manifest and blob present, every digest and size right. Blobs are
 * streamed through the hash, never held whole.
 */
import {
  isClientError,
  isManifestType,
  isNonDistributable,
  MAX_MANIFEST_BYTES,
  parseNode,
  readLimited,
  type OciLayout,
} from '../registry/client/index.js';
import type { Descriptor } from '../schemas/oci.js';
import { failure } from './errors.js';

export async function checkLayout(
  layout: OciLayout,
  roots: readonly Descriptor[],
  archive: string,
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  const damaged = (d: Descriptor, why: string, cause?: unknown) =>
    failure(
      `${archive} is damaged: ${d.digest} (${d.mediaType}) ${why}; nothing was imported`,
      'export it again, or copy the file again if it was cut short',
      cause,
    );
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest) || isNonDistributable(d)) return; // foreign layers stay out of archives
    seen.add(d.digest);
    if (!(await layout.exists(d))) throw damaged(d, 'is missing');
    try {
      if (!isManifestType(d.mediaType)) {
        for await (const _ of await layout.fetch(d, signal ? { signal } : {})) void _;
        return;
      }
      const bytes = await readLimited(
        await layout.fetch(d, signal ? { signal } : {}),
        MAX_MANIFEST_BYTES,
        `manifest ${d.digest}`,
      );
      const node = parseNode(bytes, d.mediaType);
      const children = node.kind === 'index' ? node.manifests : [node.config, ...node.layers];
      for (const child of children) await visit(child);
    } catch (err) {
      if (signal?.aborted || !isClientError(err)) throw err;
      throw damaged(d, `does not hold what its digest says (${err.message})`, err);
    }
  };
  for (const root of roots) await visit(root);
}
