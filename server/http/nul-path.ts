import type { RequestHandler } from 'express';
import { StoreError } from '../errors.js';

/**
 * Refuses a request whose path holds an encoded U+0000 (`%00`) with the documented 400, before
 * any route reads its parameters: a path names things (a namespace, an app, a version, a user),
 * which cannot hold a NUL, and PostgreSQL refuses even to compare text with one (the lookup
 * would fail, a 500, where SQLite finds nothing). The request line itself cannot carry a raw
 * NUL (Node's parser refuses it), and `%00` is the only escape that decodes to one (`%2500` is
 * the text `%00`), so no decoding is needed. Each router's own error handler writes the 400 in
 * its format. Mounted on /api/v1, /app-server and the web pages, never on /v2 (the registry
 * answers its own errors).
 */
export const refuseNulInPath: RequestHandler = (req, _res, next) => {
  // Runs on every request of those routers: one indexOf on the raw URL in the common case; the
  // query (`?q=a%00b` is a search, not a name) and a fragment are looked for only after a hit.
  const url = req.url;
  const at = url.indexOf('%00');
  if (at !== -1 && at < pathEnd(url))
    throw new StoreError('invalid', 'the path must not contain U+0000');
  next();
};

/** Where `url`'s path ends: at its query or fragment, as `req.path` (parseurl) cuts it. */
function pathEnd(url: string): number {
  let end = url.length;
  for (const mark of ['?', '#']) {
    const i = url.indexOf(mark);
    if (i !== -1 && i < end) end = i;
  }
  return end;
}
