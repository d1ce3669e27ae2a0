import type { ParsedManifest } from './parse-manifest.js';

/**
 * A hook the owner of the registry (the store) installs to look at a manifest before it is
 * stored: it may refuse it by throwing an OciError (e.g. MANIFEST_INVALID for a broken app
 * template, DENIED for a protected tag). Runs before anything is written.
 */
export type ManifestGuard = (push: {
  repository: string;
  tag: string | null;
  manifest: ParsedManifest;
  content: Buffer;
  actor: string;
}) => void | Promise<void>;

export const allowAll: ManifestGuard = () => undefined;
