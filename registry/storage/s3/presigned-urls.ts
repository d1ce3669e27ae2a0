/**
 * Presigned GET URLs, each reused for part of its lifetime. Signing a URL is a chain of HMACs;
 * the objects behind these URLs (blobs) never change, so one URL can answer every GET of a key for
 * a while. A URL is valid for `expiresSeconds` and handed out only during its first
 * `reuseSeconds`, so a client always gets one with at least the difference left to start its
 * download in (a download already started is not cut when the URL expires).
 */
export interface PresignedUrlTimes {
  expiresSeconds: number;
  reuseSeconds: number;
}

/** 15 minutes valid, reused for 5: every URL handed out has 10 minutes or more left. */
export const PRESIGNED_URL_TIMES: PresignedUrlTimes = { expiresSeconds: 900, reuseSeconds: 300 };

/** Enough for every layer a busy store serves in five minutes; an entry is about 1 KB. */
const MAX_ENTRIES = 10_000;

export class PresignedUrls {
  /** Insertion order is age order: the first entry is the oldest. */
  private readonly entries = new Map<string, { url: string; reuseUntil: number }>();

  constructor(
    /** Signs a GET of `key` valid for `expiresSeconds` from `at`. */
    private readonly sign: (key: string, expiresSeconds: number, at: Date) => Promise<string>,
    private readonly times: PresignedUrlTimes = PRESIGNED_URL_TIMES,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    if (times.reuseSeconds >= times.expiresSeconds)
      throw new Error('a presigned URL must be reused for less than its lifetime');
  }

  async get(key: string): Promise<string> {
    const at = this.now();
    const hit = this.entries.get(key);
    if (hit && at < hit.reuseUntil) return hit.url;
    const url = await this.sign(key, this.times.expiresSeconds, new Date(at));
    this.entries.delete(key);
    this.entries.set(key, { url, reuseUntil: at + this.times.reuseSeconds * 1000 });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return url;
  }
}
