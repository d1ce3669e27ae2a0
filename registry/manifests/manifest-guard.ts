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
  /** The writer asked past the store's rules explicitly (`?force=true`); the guard decides. */
  force: boolean;
  address?: string | undefined;
  /** The store mirror following this upstream wrote it (an in-process push, never /v2). */
  mirror?: string | undefined;
}) => void | Promise<void>;

/**
 * A hook the store installs to look at a removal of tags before it happens (a DELETE on /v2 of
 * a tag, or of a manifest with its tags); it may refuse it by throwing an OciError (DENIED).
 */
export type RemovalGuard = (removal: {
  repository: string;
  /** Each tag that goes, with the manifest it points at now. */
  tags: { tag: string; digest: string }[];
  actor: string;
  force: boolean;
  address?: string | undefined;
}) => void | Promise<void>;

export const allowAll: ManifestGuard = () => undefined;
export const allowAllRemovals: RemovalGuard = () => undefined;
