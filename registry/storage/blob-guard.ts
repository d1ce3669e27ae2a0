import type { Digest } from '../../schemas/oci.js';

/**
 * A hook the owner of the registry (the store) installs to look at bytes about to be linked into
 * a repository — an upload's completion, a cross-repository mount, and early, a declared size
 * (`digest` undefined: new bytes of that size) — before anything is written. It may refuse by
 * throwing an OciError (DENIED for a namespace over its quota). What it returns, if anything, is
 * called once the blob is linked (to tell of what the link changed). It answers at once when it
 * can (the store's SQLite checks) and with a promise when it must read elsewhere (PostgreSQL).
 */
export type BlobGuard = (link: {
  repository: string;
  /** The blob's digest; undefined while an upload's content is not yet known. */
  digest: Digest | undefined;
  size: number;
}) => Linked | Promise<Linked>;

type Linked = void | (() => void);

export const allowAllBlobs: BlobGuard = () => undefined;
