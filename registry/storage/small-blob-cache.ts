import type { Digest } from '../../schemas/oci.js';

/**
 * The bytes of small blobs (image configs, small layers, templates), most recently used first,
 * bounded by total size. Blobs are content-addressed, so a cached entry can never be stale; it
 * is only ever read after the metadata said the blob exists in the asking repository, so a blob
 * GC removed is never served from here either.
 */
export class SmallBlobCache {
  private readonly entries = new Map<Digest, Buffer>();
  private bytes = 0;

  constructor(
    /** Blobs larger than this are never cached. */
    readonly maxBlobBytes: number,
    private readonly maxTotalBytes: number,
  ) {}

  get(digest: Digest): Buffer | undefined {
    const hit = this.entries.get(digest);
    if (hit) {
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(digest: Digest, content: Buffer): void {
    if (content.length > this.maxBlobBytes || this.entries.has(digest)) return;
    this.entries.set(digest, content);
    this.bytes += content.length;
    for (const [oldest, evicted] of this.entries) {
      if (this.bytes <= this.maxTotalBytes) break;
      this.entries.delete(oldest);
      this.bytes -= evicted.length;
    }
  }

  delete(digest: Digest): void {
    const entry = this.entries.get(digest);
    if (!entry) return;
    this.entries.delete(digest);
    this.bytes -= entry.length;
  }
}
