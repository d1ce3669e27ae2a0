/**
 * An app's listing (display name, summary, introduction, logo, tags, packages, shelf state) read
 * from one store's API for an air-gap archive, and applied to another store's API on import.
 */
import type { AppListing } from '../schemas/airgap.js';
import type { StoreApi } from './store-api.js';

interface AppJson {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  introduction: string;
  tags: string[];
  categories: string[];
  sourceUrl: string;
  homeUrl: string;
  publishType: 'public' | 'private';
  listed: boolean;
  logo: string | null;
  packages: { name: string; type: 'free'; versions: string[] }[];
}

/** The listing of `namespace/name` as the store shows it. */
export async function readListing(
  api: StoreApi,
  namespace: string,
  name: string,
): Promise<AppListing> {
  const app = await api.get<AppJson>(`/apps/${namespace}/${name}`);
  const logo = app.logo ? await api.getBytes(`/apps/${namespace}/${name}/logo`) : undefined;
  return {
    namespace,
    name,
    displayName: app.displayName,
    summary: app.summary,
    introduction: app.introduction,
    tags: app.tags,
    categories: app.categories,
    sourceUrl: app.sourceUrl,
    homeUrl: app.homeUrl,
    publishType: app.publishType,
    listed: app.listed,
    logo: logo ? { type: logo.type, data: logo.bytes.toString('base64') } : null,
    packages: app.packages.map((p) => ({ name: p.name, type: p.type, versions: p.versions })),
  };
}

/**
 * Puts `listing` on `namespace/name` (the app exists: its versions were just imported). Packages
 * the store lacks are created with the versions it holds ready; the shelf state comes last, since
 * listing needs a package.
 */
export async function applyListing(
  api: StoreApi,
  namespace: string,
  name: string,
  listing: AppListing,
): Promise<void> {
  const path = `/apps/${namespace}/${name}`;
  await api.send('PATCH', path, {
    body: {
      displayName: listing.displayName,
      summary: listing.summary,
      introduction: listing.introduction,
      tags: listing.tags,
      categories: listing.categories,
      sourceUrl: listing.sourceUrl,
      homeUrl: listing.homeUrl,
      publishType: listing.publishType,
    },
  });
  if (listing.logo)
    await api.putBytes(`${path}/logo`, Buffer.from(listing.logo.data, 'base64'), listing.logo.type);
  const current = await api.get<AppJson>(path);
  const have = new Set(current.packages.map((p) => p.name));
  const ready = new Set(
    (await api.get<{ versions: { version: string; state: string }[] }>(`${path}/versions`)).versions
      .filter((v) => v.state === 'ready')
      .map((v) => v.version),
  );
  for (const pkg of listing.packages) {
    if (have.has(pkg.name)) continue;
    const versions = pkg.versions.filter((v) => ready.has(v));
    if (versions.length > 0)
      await api.post(`${path}/packages`, { body: { name: pkg.name, type: pkg.type, versions } });
  }
  if (current.listed !== listing.listed)
    await api.put(`${path}/shelf`, { body: { listed: listing.listed } });
}
