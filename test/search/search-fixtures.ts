/** Apps written straight into the store's tables, and a search client, for the search tests. */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../server/db/open-database.js';
import * as pgAccounts from '../../server/db/schema.pg.js';
import type { PgStoreDatabase, StoreDatabase } from '../../server/db/store-database.js';
import * as pg from '../../server/db/store-schema.pg.js';
import { users } from '../../server/db/schema.js';
import { apps, appStatsDaily, packages, versions } from '../../server/db/store-schema.js';
import type { SearchResult } from '../../server/search/search-service.js';

export const DAY = 86_400_000;

export interface AppFixture {
  namespace?: string;
  name: string;
  displayName?: string;
  summary?: string;
  introduction?: string;
  tags?: string[];
  categories?: string[];
  /** Default true. */
  listed?: boolean;
  /** Has a package (default true): with `listed`, the app is on the shelf. */
  packaged?: boolean;
  versions?: { version: string; arch?: string; createdAt?: number }[];
  installs?: number;
  visits?: number;
  updatedAt?: number;
  logo?: boolean;
}

let keys = 0;

export function insertApp(db: Db, f: AppFixture): number {
  const now = Date.now();
  const updatedAt = f.updatedAt ?? now;
  const row = db
    .insert(apps)
    .values({
      appKey: createHash('md5').update(`app-${++keys}-${f.name}`).digest('hex'),
      namespace: f.namespace ?? 'acme',
      name: f.name,
      displayName: f.displayName ?? f.name,
      summary: f.summary ?? '',
      introduction: f.introduction ?? '',
      tags: JSON.stringify(f.tags ?? []),
      categories: JSON.stringify(f.categories ?? []),
      listed: f.listed ?? true,
      logoKey: f.logo ? `logos/${f.name}` : null,
      logoType: f.logo ? 'image/png' : null,
      createdAt: updatedAt,
      updatedAt,
    })
    .returning({ id: apps.id })
    .get();
  const vs = f.versions ?? [{ version: '1.0.0' }];
  for (const v of vs) {
    const digest = `sha256:${createHash('sha256').update(`${f.name}:${v.version}`).digest('hex')}`;
    db.insert(versions)
      .values({
        appId: row.id,
        version: v.version,
        state: 'ready',
        manifestDigest: digest,
        templateDigest: digest,
        template: '{}',
        arch: v.arch ?? 'amd64',
        createdAt: v.createdAt ?? updatedAt,
        updatedAt,
      })
      .run();
  }
  if (f.packaged ?? true)
    db.insert(packages)
      .values({
        appId: row.id,
        name: vs[0]?.version ?? 'free',
        versions: JSON.stringify(vs.map((v) => v.version)),
        createdAt: now,
      })
      .run();
  if (f.installs || f.visits)
    db.insert(appStatsDaily)
      .values({
        appId: row.id,
        day: '2024-01-01',
        installs: f.installs ?? 0,
        visits: f.visits ?? 0,
      })
      .run();
  return row.id;
}

export function insertUser(db: Db, name: string, displayName: string): void {
  db.insert(users).values({ name, displayName, createdAt: Date.now() }).run();
}

export function renameUser(db: Db, name: string, displayName: string): void {
  db.update(users).set({ displayName }).where(eq(users.name, name)).run();
}

export type SearchParams = Record<string, string | number | readonly string[]>;

export interface SearchResponse {
  status: number;
  body: SearchResult & { error?: { code: string } };
}

export async function search(
  baseUrl: string,
  params: SearchParams = {},
  key?: string,
): Promise<SearchResponse> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
  const res = await fetch(`${baseUrl}/api/v1/search?${qs.toString()}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: res.status, body: (await res.json()) as SearchResponse['body'] };
}

/** `namespace/name` of each item, in order. */
export function refs(r: SearchResponse): string[] {
  return r.body.items.map((i) => `${i.namespace}/${i.name}`);
}

/** Names of the items, in order. */
export function names(r: SearchResponse): string[] {
  return r.body.items.map((i) => i.name);
}

/** `insertApp` on a PostgreSQL store (the same rows, through the pg-core twins of the tables). */
export async function insertPgApp(store: PgStoreDatabase, f: AppFixture): Promise<number> {
  const now = Date.now();
  const updatedAt = f.updatedAt ?? now;
  const [row] = await store.db
    .insert(pg.apps)
    .values({
      appKey: createHash('md5').update(`app-${++keys}-${f.name}`).digest('hex'),
      namespace: f.namespace ?? 'acme',
      name: f.name,
      displayName: f.displayName ?? f.name,
      summary: f.summary ?? '',
      introduction: f.introduction ?? '',
      tags: JSON.stringify(f.tags ?? []),
      categories: JSON.stringify(f.categories ?? []),
      listed: f.listed ?? true,
      logoKey: f.logo ? `logos/${f.name}` : null,
      logoType: f.logo ? 'image/png' : null,
      createdAt: updatedAt,
      updatedAt,
    })
    .returning({ id: pg.apps.id });
  const id = row!.id;
  const vs = f.versions ?? [{ version: '1.0.0' }];
  for (const v of vs) {
    const digest = `sha256:${createHash('sha256').update(`${f.name}:${v.version}`).digest('hex')}`;
    await store.db.insert(pg.versions).values({
      appId: id,
      version: v.version,
      state: 'ready',
      manifestDigest: digest,
      templateDigest: digest,
      template: '{}',
      arch: v.arch ?? 'amd64',
      createdAt: v.createdAt ?? updatedAt,
      updatedAt,
    });
  }
  if (f.packaged ?? true)
    await store.db.insert(pg.packages).values({
      appId: id,
      name: vs[0]?.version ?? 'free',
      versions: JSON.stringify(vs.map((v) => v.version)),
      createdAt: now,
    });
  if (f.installs || f.visits)
    await store.db.insert(pg.appStatsDaily).values({
      appId: id,
      day: '2024-01-01',
      installs: f.installs ?? 0,
      visits: f.visits ?? 0,
    });
  return id;
}

/** An app's rows on the store's engine, whichever it is: `insertApp` or `insertPgApp`. */
export function insertStoreApp(store: StoreDatabase, f: AppFixture): Promise<number> {
  if (store.dialect === 'sqlite') return Promise.resolve(insertApp(store.db, f));
  return insertPgApp(store, f);
}

/** A user row on the store's engine, whichever it is. */
export async function insertStoreUser(
  store: StoreDatabase,
  name: string,
  displayName: string,
): Promise<void> {
  if (store.dialect === 'sqlite') insertUser(store.db, name, displayName);
  else await store.db.insert(pgAccounts.users).values({ name, displayName, createdAt: Date.now() });
}
