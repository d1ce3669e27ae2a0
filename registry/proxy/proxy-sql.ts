/**
 * The caches' bookkeeping statements, written once for both engines: `?` placeholders
 * (numbered for PostgreSQL) and SQL both read alike.
 */
export const PROXY_SQL = {
  tags: 'select repository, tag, checked_at as at from proxy_tags',
  checkTag: `insert into proxy_tags (repository, tag, checked_at) values (?, ?, ?)
    on conflict (repository, tag) do update set checked_at = excluded.checked_at`,
  hold: `insert into proxy_content (proxy, repository, digest, kind, size, last_pulled_at)
    values (?, ?, ?, ?, ?, ?)
    on conflict (repository, digest) do update set last_pulled_at = excluded.last_pulled_at`,
  touch: 'update proxy_content set last_pulled_at = ? where repository = ? and digest = ?',
  drop: 'delete from proxy_content where repository = ? and digest = ?',
  // sum() of a bigint is a numeric on PostgreSQL: cast back, as SQLite's integer is.
  bytes: 'select cast(coalesce(sum(size), 0) as bigint) as n from proxy_content where proxy = ?',
  repositories: 'select count(distinct repository) as n from proxy_content where proxy = ?',
  oldest: `select repository, digest, kind, size from proxy_content where proxy = ?
    order by last_pulled_at, kind desc limit ?`,
  stats:
    'select hits, misses, upstream_errors as "upstreamErrors" from proxy_stats where proxy = ?',
  addStats: `insert into proxy_stats (proxy, hits, misses, upstream_errors) values (?, ?, ?, ?)
    on conflict (proxy) do update set hits = proxy_stats.hits + excluded.hits,
      misses = proxy_stats.misses + excluded.misses,
      upstream_errors = proxy_stats.upstream_errors + excluded.upstream_errors`,
} as const;

export type ProxyStatement = keyof typeof PROXY_SQL;
