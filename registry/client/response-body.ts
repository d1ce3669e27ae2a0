/** Dropping a response body that nobody reads (a redirect's, a challenge's, an upload's answer). */

/** More than any answer we drop should carry; past it, the connection is given up instead. */
const MAX_DISCARDED_BYTES = 64 * 1024;

/**
 * Reads and drops a response body so the connection can be reused — up to a small cap: a peer
 * that sends more (a 401 with an endless body) gets its response cancelled, not read to the end.
 */
export async function discard(res: Response): Promise<void> {
  if (!res.body) return;
  let seen = 0;
  try {
    for await (const chunk of res.body) {
      seen += chunk.byteLength;
      if (seen > MAX_DISCARDED_BYTES) break; // leaving the loop cancels the stream
    }
  } catch {
    // the connection is gone anyway
  }
}
