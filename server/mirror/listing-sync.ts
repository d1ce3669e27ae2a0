/**
 * Keeps a mirrored app's listing in step with the upstream's: texts, tags and categories, links,
 * the logo, the packages (each covering only the versions held here; one left with none is
 * dropped) and the listed state. Written straight to the rows: only the mirror changes them.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, eq, inArray } from 'drizzle-orm';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Db } from '../db/open-database.js';
import { apps, packages, versions } from '../db/store-schema.js';
import { logoTypeOf } from '../store/app-service.js';
import type { AppRow } from '../store/app-access.js';
import type { UpstreamApp } from './upstream-api.js';

export interface ListingDeps {
  db: Db;
  registry: Pick<Registry, 'blobs'>;
  audit: AuditLog;
  clock: () => number;
}

export async function syncListing(
  deps: ListingDeps,
  app: AppRow,
  listing: UpstreamApp,
  logo: { bytes: Buffer } | undefined,
  actor: string,
): Promise<void> {
  const { db, clock } = deps;
  let logoKey: string | null = null;
  let logoType: string | null = null;
  if (logo) {
    logoType = logoTypeOf(logo.bytes) ?? null;
    if (logoType) {
      logoKey = `logos/${app.appKey}/${createHash('sha256').update(logo.bytes).digest('hex')}`;
      if (logoKey !== app.logoKey)
        await deps.registry.blobs.driver.write(logoKey, Readable.from([logo.bytes]));
    }
  }
  const held = new Set(
    db
      .select({ version: versions.version })
      .from(versions)
      .where(and(eq(versions.appId, app.id), eq(versions.state, 'ready')))
      .all()
      .map((v) => v.version),
  );
  const wanted = listing.packages
    .map((p) => ({ ...p, versions: p.versions.filter((v) => held.has(v)) }))
    .filter((p) => p.versions.length > 0);
  const fields = {
    displayName: listing.displayName,
    summary: listing.summary,
    introduction: listing.introduction,
    tags: JSON.stringify(listing.tags),
    categories: JSON.stringify(listing.categories),
    sourceUrl: listing.sourceUrl,
    homeUrl: listing.homeUrl,
    publishType: listing.publishType,
    listed: listing.listed,
    logoKey,
    logoType,
  };
  const changed =
    (Object.keys(fields) as (keyof typeof fields)[]).some((k) => app[k] !== fields[k]) ||
    !samePackages(db, app.id, wanted);
  if (!changed) return;
  db.transaction((tx) => {
    tx.update(apps)
      .set({ ...fields, updatedAt: clock() })
      .where(eq(apps.id, app.id))
      .run();
    const names = wanted.map((p) => p.name);
    const current = tx.select().from(packages).where(eq(packages.appId, app.id)).all();
    const stale = current.filter((p) => !names.includes(p.name)).map((p) => p.id);
    if (stale.length > 0) tx.delete(packages).where(inArray(packages.id, stale)).run();
    for (const p of wanted) {
      const row = current.find((c) => c.name === p.name);
      if (row)
        tx.update(packages)
          .set({ versions: JSON.stringify(p.versions) })
          .where(eq(packages.id, row.id))
          .run();
      else
        tx.insert(packages)
          .values({
            appId: app.id,
            name: p.name,
            type: p.type,
            versions: JSON.stringify(p.versions),
            createdAt: clock(),
          })
          .run();
    }
    deps.audit.record({
      actor,
      action: 'mirror.listing',
      target: `${app.namespace}/${app.name}`,
      detail: { listed: listing.listed, packages: names },
    });
  });
  if (app.logoKey && app.logoKey !== logoKey)
    await deps.registry.blobs.driver.delete(app.logoKey).catch(() => undefined);
}

function samePackages(
  db: Db,
  appId: number,
  wanted: readonly { name: string; versions: string[] }[],
): boolean {
  const current = db.select().from(packages).where(eq(packages.appId, appId)).all();
  return (
    current.length === wanted.length &&
    wanted.every((w) =>
      current.some((c) => c.name === w.name && c.versions === JSON.stringify(w.versions)),
    )
  );
}
