import type { RequestHandler } from 'express';
import { StoreError } from '../errors.js';

/**
 * Refuses a request whose path holds an encoded U+0000 (`%00`) with the documented 400, before
 * any route reads its parameters: a path names things (a namespace, an app, a version, a user),
 * which cannot hold a NUL, and PostgreSQL refuses even to compare text with one (the lookup
 * would fail, a 500, where SQLite finds nothing). The request line itself cannot carry a raw
 * NUL (Node's parser refuses it). Each router's own error handler writes the 400 in its format.
 */
export const refuseNulInPath: RequestHandler = (req, _res, next) => {
  if (/%00/i.test(req.path)) throw new StoreError('invalid', 'the path must not contain U+0000');
  next();
};
