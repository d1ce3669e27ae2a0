/** The Rainstore wire conventions: dates, Python-spelt booleans, paging (rainstore-api.md §1). */

/** ISO-8601 in UTC with `Z`, whole seconds: `2026-08-01T10:00:00Z`. */
export function isoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** `True`/`False` as Python writes them, case-insensitive; also `true/false/1/0`. Else undefined. */
export function queryBoolean(value: unknown): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

export function queryString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export interface Paging {
  page: number;
  /** As requested (echoed): -1 means all rows. */
  pageSize: number;
}

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 200;

export function pagingOf(query: Record<string, unknown>): Paging {
  const page = Number.parseInt(String(query.page ?? ''), 10);
  const size = Number.parseInt(String(query.pageSize ?? query.page_size ?? ''), 10);
  return {
    page: Number.isFinite(page) && page >= 1 ? page : 1,
    pageSize:
      size === -1
        ? -1
        : Number.isFinite(size)
          ? Math.min(Math.max(size, 1), MAX_PAGE_SIZE)
          : DEFAULT_PAGE_SIZE,
  };
}

export function pageOf<T>(rows: readonly T[], paging: Paging): T[] {
  if (paging.pageSize === -1) return [...rows];
  const start = (paging.page - 1) * paging.pageSize;
  return rows.slice(start, start + paging.pageSize);
}
