/**
 * The console's JSON bodies lose U+0000 from every string, as the store API's do
 * (server/http/validate.ts): app names, descriptions, introductions, tags and a version's notes
 * are text a person typed, which PostgreSQL's text cannot hold with a NUL (SQLite's can), so
 * both engines store the same text only if none reaches either. A version's `template` is kept
 * as sent instead: the RAM rules refuse a NUL in it, naming where (schemas/ram.ts).
 */
import type { RequestHandler } from 'express';
import { withoutNul } from '../../schemas/nul.js';

export const bodyWithoutNul: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { template, ...rest } = body as Record<string, unknown>;
    req.body = {
      ...(withoutNul(rest) as object),
      ...(template !== undefined ? { template } : {}),
    };
  }
  next();
};
