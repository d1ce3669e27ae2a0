/**
 * Apps for the badge and feed tests, published by user `pubby` whose display name, app names and
 * changelogs are hostile (markup, quotes, entities, a CDATA end, characters XML forbids):
 * - `pubby/tool` on the shelf: 1.0.0, then 1.10.0, then 1.2.0 (so the newest published, 1.2.0,
 *   is not the latest by semver, 1.10.0), and a draft 9.9.9 that must never show;
 * - `pubby/secret`: pushed, never on the shelf (private to pubby).
 */
import { expect } from 'chai';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, type TestServer } from '../helpers/server.js';
import { pushBundle, pushTemplate } from '../store/app-pushes.js';
import { appTemplate } from './push-app.js';

export const HOSTILE_PUBLISHER = `Pub <i>"&amp;'</i> ]]>\u0007`;
export const HOSTILE_APP = `Tool <script>alert("x")</script> & 'co' \u0000]]>`;
export const HOSTILE_NOTES = `Fixes <b>bold</b> & "quotes" ]]> &lt; \u0001\u{1F680} ünïcødé`;
/** What XML can carry of them: the characters XML 1.0 forbids are dropped. */
export const shown = (text: string): string =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export const PUBLISHED = ['1.0.0', '1.10.0', '1.2.0'];
const SERVICE_KEY = '0c8a0ee5b5e14f63a06b1c2bf2a4d5e7';

function template(repo: string, version: string, notes: string): Buffer {
  const t = JSON.parse(appTemplate(repo, version).toString('utf8')) as object;
  return Buffer.from(JSON.stringify({ ...t, version_info: notes }));
}

/**
 * A version's notes as the feed shows them: 1.10.0's are the bundle's description (hostile),
 * the others' the template's `version_info` (no description: the store falls back to it).
 */
export function notesOf(version: string): string {
  return version === '1.10.0' ? HOSTILE_NOTES : `Release ${version}.`;
}

/** Pushes `versions` of `repo` as bundles, in order, each with its notes. */
export async function pushVersions(
  srv: TestServer,
  repo: string,
  versions: string[],
  notes: (v: string) => string = notesOf,
): Promise<void> {
  const reg = new TestRegistryClient(srv.url);
  for (const v of versions) {
    const text = notes(v);
    const hostile = text === HOSTILE_NOTES;
    await pushBundle(
      reg,
      repo,
      v,
      template(repo, v, hostile ? '' : text),
      [SERVICE_KEY],
      hostile ? text : '',
    );
  }
}

/** Puts `repo` on the shelf with a package of `versions`. */
export async function shelve(srv: TestServer, repo: string, versions: string[]): Promise<void> {
  const path = `/api/v1/apps/${repo}`;
  const pkg = await api(srv, 'POST', `${path}/packages`, {
    bearer: ADMIN_KEY,
    body: { name: 'stable', versions },
  });
  expect(pkg.status, pkg.text).to.equal(201);
  const shelf = await api(srv, 'PUT', `${path}/shelf`, {
    bearer: ADMIN_KEY,
    body: { listed: true },
  });
  expect(shelf.status, shelf.text).to.equal(200);
}

/** Publishes the apps above; returns pubby's session token. */
export async function publishFeedApps(srv: TestServer): Promise<string> {
  const { token } = await loginWithPhone(srv, '+8613800138123', 'pubby');
  const named = await api(srv, 'PATCH', '/api/v1/users/me', {
    bearer: token,
    body: { displayName: HOSTILE_PUBLISHER },
  });
  expect(named.status, named.text).to.equal(200);
  await pushVersions(srv, 'pubby/tool', PUBLISHED);
  await pushTemplate(
    new TestRegistryClient(srv.url),
    'pubby/tool',
    template('pubby/tool', '9.9.9', 'a draft'),
    '9.9.9',
  );
  const app = await api<{ displayName: string }>(srv, 'PATCH', '/api/v1/apps/pubby/tool', {
    bearer: ADMIN_KEY,
    body: { displayName: HOSTILE_APP, summary: 'A tool & more' },
  });
  expect(app.status, app.text).to.equal(200);
  // The one character PostgreSQL's text cannot hold is dropped from input, on either engine.
  expect(app.body.displayName).to.equal(HOSTILE_APP.replaceAll('\u0000', ''));
  await shelve(srv, 'pubby/tool', PUBLISHED);
  await pushVersions(srv, 'pubby/secret', ['1.0.0']);
  return token;
}
