/**
 * What the Atom feeds list: the versions of an app, or of every app of a publisher, as anyone
 * sees them (always the anonymous view, whoever asks: a feed or a badge is the same for every
 * reader and every cache). Only versions that can be installed (state `ready`) of apps on the
 * shelf; newest published first, at most `limit`.
 */
import { ANONYMOUS } from '../auth/principal.js';
import type { AppView, VersionRow } from '../store/app-access.js';
import { versionView } from '../store/app-versions.js';
import type { AppRef } from '../store/version-index.js';
import { changelogOf } from './changelog.js';
import type { WebServices } from './services.js';
import { publisherNameOf } from './pages/app-frame.js';

export const FEED_LIMIT = 50;

export interface Release {
  ref: AppRef;
  /** The app's display name, else its name. */
  appTitle: string;
  publisher: string;
  version: string;
  publishedAt: string;
  updatedAt: string;
  changelog: string;
}

interface Candidate {
  ref: AppRef;
  appTitle: string;
  publisher: string;
  row: VersionRow;
}

export async function appReleases(
  s: WebServices,
  ref: AppRef,
  limit = FEED_LIMIT,
): Promise<{ app: AppView; publisher: string; releases: Release[] }> {
  const app = await s.apps.get(ANONYMOUS, ref);
  const publisher = await publisherNameOf(s, app.namespace);
  const candidates = await candidatesOf(s, ref, app.displayName || app.name, publisher);
  return { app, publisher, releases: newest(s, candidates, limit) };
}

export async function publisherReleases(
  s: WebServices,
  name: string,
  limit = FEED_LIMIT,
): Promise<{ name: string; title: string; createdAt: string; releases: Release[] }> {
  const page = await s.publishers.page(ANONYMOUS, name);
  const title = page.profile.displayName || page.profile.name;
  const candidates = (
    await Promise.all(
      page.apps.map((a) =>
        candidatesOf(s, { namespace: a.namespace, name: a.name }, a.displayName || a.name, title),
      ),
    )
  ).flat();
  return {
    name: page.profile.name,
    title,
    createdAt: page.profile.createdAt,
    releases: newest(s, candidates, limit),
  };
}

/** The versions anyone sees that can be installed. */
async function candidatesOf(
  s: WebServices,
  ref: AppRef,
  appTitle: string,
  publisher: string,
): Promise<Candidate[]> {
  const app = await s.access.visible(ANONYMOUS, ref);
  return (await s.access.versionsOf(app.id, false))
    .filter((row) => row.state === 'ready')
    .map((row) => ({ ref, appTitle, publisher, row }));
}

/**
 * Newest published first. Versions are stamped to the second (Rainbond compares them so), so
 * among versions of one second the row made later (a higher id) comes first.
 */
function newest(s: WebServices, candidates: Candidate[], limit: number): Release[] {
  return candidates
    .sort((a, b) => b.row.createdAt - a.row.createdAt || b.row.id - a.row.id)
    .slice(0, limit)
    .map(({ ref, appTitle, publisher, row }) => {
      const version = versionView(row);
      return {
        ref,
        appTitle,
        publisher,
        version: version.version,
        publishedAt: version.createdAt,
        updatedAt: version.updatedAt,
        changelog: changelogOf(version.description, JSON.parse(row.template) as unknown),
      };
    });
}
