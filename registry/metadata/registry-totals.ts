/** What the registry holds right now. */
export interface RegistryTotals {
  repositories: number;
  manifests: number;
  blobs: number;
  /** Bytes of all stored blobs, each counted once however many repositories link it. */
  blobBytes: number;
  uploads: number;
  /** Bytes received so far by the upload sessions still open. */
  uploadBytes: number;
}
