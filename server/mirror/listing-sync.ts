/**
 * Keeps a mirrored app's listing in step with the upstream's: texts, tags and categories, links,
 * the logo, the packages (each covering only the versions held here; one left with none is
 * dropped) and the listed state. Written straight to the rows: only the mirror changes them.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { logoTypeOf } from '../store/app-service.js';
import type { AppRow, PackageRow } from '../store/app-access.js';
import type { UpstreamApp } from './upstream-api.js';
import type {
  ListingFields,
  MirroredAppRepository,
  WantedPackage,
} from './mirrored-app-repository.js';

export interface ListingDeps {
  listings: MirroredAppRepository;
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
  const { listings, clock } = deps;
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
  const held = new Set(await listings.readyVersions(app.id));
  const wanted: WantedPackage[] = listing.packages
    .map((p) => ({ ...p, versions: p.versions.filter((v) => held.has(v)) }))
    .filter((p) => p.versions.length > 0);
  const fields: ListingFields = {
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
    !samePackages(await listings.packagesOf(app.id), wanted);
  if (!changed) return;
  await listings.writeListing(app.id, fields, wanted, clock());
  await deps.audit.record({
    actor,
    action: 'mirror.listing',
    target: `${app.namespace}/${app.name}`,
    detail: { listed: listing.listed, packages: wanted.map((p) => p.name) },
  });
  if (app.logoKey && app.logoKey !== logoKey)
    await deps.registry.blobs.driver.delete(app.logoKey).catch(() => undefined);
}

function samePackages(
  current: readonly PackageRow[],
  wanted: readonly { name: string; versions: string[] }[],
): boolean {
  return (
    current.length === wanted.length &&
    wanted.every((w) =>
      current.some((c) => c.name === w.name && c.versions === JSON.stringify(w.versions)),
    )
  );
}
