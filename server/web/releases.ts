/**
 * What the Atom feeds list: the versions of an app, or of every app of a publisher, as anyone
 * sees them (always the anonymous view, whoever asks: a feed or a badge is the same for every
 * reader and every cache). Only versions that can be installed (state `ready`) of apps on the
 * shelf; newest published first, at most `limit`.
 */
import { ANONYMOUS } from '../auth/principal.js';
import type { AppView } from '../store/app-access.js';
import type { VersionView } from '../store/app-versions.js';
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
  version: VersionView;
}

export function appReleases(
  s: WebServices,
  ref: AppRef,
  limit = FEED_LIMIT,
): { app: AppView; publisher: string; releases: Release[] } {
  const app = s.apps.get(ANONYMOUS, ref);
  const publisher = publisherNameOf(s, app.namespace);
  const appTitle = app.displayName || app.name;
  const candidates = s.versions
    .list(ANONYMOUS, ref)
    .map((version) => ({ ref, appTitle, publisher, version }));
  return { app, publisher, releases: newest(s, candidates, limit) };
}

export function publisherReleases(
  s: WebServices,
  name: string,
  limit = FEED_LIMIT,
): { name: string; title: string; createdAt: string; releases: Release[] } {
  const page = s.publishers.page(ANONYMOUS, name);
  const title = page.profile.displayName || page.profile.name;
  const candidates = page.apps.flatMap((a) => {
    const ref = { namespace: a.namespace, name: a.name };
    const appTitle = a.displayName || a.name;
    return s.versions
      .list(ANONYMOUS, ref)
      .map((version) => ({ ref, appTitle, publisher: title, version }));
  });
  return {
    name: page.profile.name,
    title,
    createdAt: page.profile.createdAt,
    releases: newest(s, candidates, limit),
  };
}

/** The installable ones, newest published first (the store's version order among equals). */
function newest(s: WebServices, candidates: Candidate[], limit: number): Release[] {
  return candidates
    .filter((c) => c.version.state === 'ready')
    .sort((a, b) => b.version.createdAt.localeCompare(a.version.createdAt))
    .slice(0, limit)
    .map(({ ref, appTitle, publisher, version }) => {
      const { template } = s.versions.get(ANONYMOUS, ref, version.version);
      return {
        ref,
        appTitle,
        publisher,
        version: version.version,
        publishedAt: version.createdAt,
        updatedAt: version.updatedAt,
        changelog: changelogOf(version.description, template),
      };
    });
}
