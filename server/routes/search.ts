import { Router } from 'express';
import { z } from 'zod';
import { StoreError } from '../errors.js';
import { SORTS } from '../search/ranking.js';
import type { SearchService } from '../search/search-service.js';

/** A filter that may be given more than once (`tag=a&tag=b`: apps with both). */
const Many = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().min(1).max(64)).max(5));

/** Empty parameters (`publisher=` from a form) mean "no filter". */
const withoutEmpty = (v: unknown): unknown =>
  v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''))
    : v;

export const SearchQuery = z.preprocess(
  withoutEmpty,
  z.strictObject({
    q: z.string().max(256).default(''),
    tag: Many.optional(),
    category: Many.optional(),
    publisher: z.string().max(64).optional(),
    arch: z.string().max(32).optional(),
    sort: z.enum(SORTS).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  }),
);

/** GET /api/v1/search: see server/search/search-service.ts. */
export function searchRoutes(search: SearchService): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const query = SearchQuery.safeParse(req.query);
    if (!query.success) throw new StoreError('invalid', z.prettifyError(query.error));
    const { q, tag, category, publisher, arch, sort, page, pageSize } = query.data;
    res.json(
      await search.search(res.locals.principal, {
        q,
        tags: tag ?? [],
        categories: category ?? [],
        publisher,
        arch,
        sort,
        page,
        pageSize,
      }),
    );
  });
  return router;
}
