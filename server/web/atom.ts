/**
 * An Atom feed (RFC 4287) of releases: one entry per version, its id the absolute URL of the
 * version's page (permanent: a version keeps its URL), its summary the version's notes as text.
 * Every URL is absolute, made from the store's public base URL.
 */
import type { Release } from './releases.js';
import { escapeXml } from './xml.js';

export const ATOM_TYPE = 'application/atom+xml; charset=utf-8';
/** A summary is a notice, not the whole changelog: longer notes are cut, the page has them all. */
const MAX_SUMMARY_CHARS = 2000;

export interface AtomFeed {
  /** The feed's own absolute URL (its id and rel=self). */
  self: string;
  /** The page it follows (rel=alternate). */
  alternate: string;
  title: string;
  subtitle: string;
  author: { name: string; uri: string };
  /** When the feed has no entry: when its subject was made. */
  updatedWhenEmpty: string;
  /** Absolute URL of an image for the feed (the app's logo), if any. */
  logo?: string | undefined;
  entries: (Release & { url: string; authorUri: string })[];
}

export function renderAtom(feed: AtomFeed): { body: string; updated: string } {
  const updated = feed.entries.reduce(
    (max, e) => (e.updatedAt > max ? e.updatedAt : max),
    feed.entries.length ? '' : feed.updatedWhenEmpty,
  );
  const x = escapeXml;
  const entries = feed.entries.map(
    (e) => `<entry>
<id>${x(e.url)}</id>
<title type="text">${x(`${e.appTitle} ${e.version}`)}</title>
<link rel="alternate" type="text/html" href="${x(e.url)}"/>
<published>${e.publishedAt}</published>
<updated>${e.updatedAt}</updated>
<author><name>${x(e.publisher)}</name><uri>${x(e.authorUri)}</uri></author>
<summary type="text">${x(summary(e))}</summary>
</entry>
`,
  );
  const body = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${x(feed.self)}</id>
<title type="text">${x(feed.title)}</title>
<subtitle type="text">${x(feed.subtitle)}</subtitle>
<link rel="self" type="application/atom+xml" href="${x(feed.self)}"/>
<link rel="alternate" type="text/html" href="${x(feed.alternate)}"/>
<updated>${updated}</updated>
<author><name>${x(feed.author.name)}</name><uri>${x(feed.author.uri)}</uri></author>
<generator>appshelf</generator>
${feed.logo ? `<logo>${x(feed.logo)}</logo>\n` : ''}${entries.join('')}</feed>
`;
  return { body, updated };
}

function summary(e: Release): string {
  const notes = e.changelog.trim();
  if (!notes) return `Version ${e.version} of ${e.appTitle}.`;
  const chars = [...notes];
  return chars.length > MAX_SUMMARY_CHARS
    ? `${chars.slice(0, MAX_SUMMARY_CHARS - 1).join('')}…`
    : notes;
}
