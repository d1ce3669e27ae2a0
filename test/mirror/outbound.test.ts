/**
 * The upstream is a target the admin named (issue 14 §2): the mirror reaches it on loopback even
 * with `sync.allowHosts: []`, which refuses every other internal address — a redirect the
 * upstream's registry sends to one is refused before any connection, and a redirect of its store
 * API is not followed with the key. Runs also start on their own, every `intervalSeconds`.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { mirrorItem, runMirror } from './mirror-calls.js';

const APP = {
  namespace: 'acme',
  name: 'x',
  displayName: 'X',
  summary: '',
  introduction: '',
  logo: null,
  tags: [],
  categories: [],
  sourceUrl: '',
  homeUrl: '',
  publishType: 'public',
  listed: true,
  packages: [],
};

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('store mirror: the upstream is a trusted target, nothing else is', function () {
  this.timeout(60_000);
  let elsewhere: { server: Server; url: string };
  let upstream: { server: Server; url: string };
  let apiRedirect: { server: Server; url: string };
  let hits = 0;
  let mirror: TestServer;

  before(async () => {
    elsewhere = await listen((_req, res) => {
      hits++;
      res.writeHead(200).end('{}');
    });
    upstream = await listen((req, res) => {
      const json = (body: unknown): void =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const url = req.url ?? '/';
      if (url === '/api/v1/users/me') return json({ name: 'admin' });
      if (url === '/api/v1/publishers/acme') return json({ apps: [APP] });
      if (url === '/api/v1/apps/acme/x') return json(APP);
      if (url === '/api/v1/apps/acme/x/versions')
        return json({
          versions: [
            { version: '1.0.0', state: 'ready', manifestDigest: `sha256:${'a'.repeat(64)}` },
          ],
        });
      // Its registry sends every request to another internal address.
      res.writeHead(307, { location: `${elsewhere.url}${url}` }).end();
    });
    apiRedirect = await listen((req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}${req.url ?? '/'}` }).end();
    });
    const entry = { key: ADMIN_KEY, apps: ['acme/*'], intervalSeconds: 0 };
    mirror = await startTestServer({
      sync: { allowHosts: [] },
      mirror: {
        upstreams: [
          { ...entry, name: 'up', url: upstream.url },
          { ...entry, name: 'moved', url: apiRedirect.url },
        ],
      },
    });
  });
  after(async () => {
    await mirror?.close();
    for (const s of [elsewhere, upstream, apiRedirect]) s?.server.closeAllConnections();
    for (const s of [elsewhere, upstream, apiRedirect]) s?.server.close();
  });

  it('reaches the named upstream on loopback, but not where its registry redirects', async () => {
    const item = await runMirror(mirror, 'up');
    expect(item.lastRun?.error).to.match(/^acme\/x 1\.0\.0: .*not allowed/);
    expect(hits, 'no request reached the redirect target').to.equal(0);
  });

  it('does not follow a redirect of the store API with the key', async () => {
    const item = await runMirror(mirror, 'moved');
    expect(item.lastRun?.error).to.match(/^upstream moved: .*redirect/i);
    expect(hits).to.equal(0);
  });
});

describe('store mirror: one run per upstream at a time', function () {
  this.timeout(30_000);
  let slow: { server: Server; url: string };
  let release: (() => void) | undefined;
  let mirror: TestServer;
  before(async () => {
    // Answers the mirror's first question only when the test says so: its run stays running.
    slow = await listen((_req, res) => {
      release = () => res.writeHead(503).end();
    });
    mirror = await startTestServer({
      mirror: {
        upstreams: [
          { name: 'slow', url: slow.url, key: ADMIN_KEY, apps: ['a/b'], intervalSeconds: 0 },
        ],
      },
    });
  });
  after(async () => {
    await mirror?.close();
    slow?.server.closeAllConnections();
    slow?.server.close();
  });

  /** The answer to the run's first question, once the run asked it. */
  const released = async (): Promise<() => void> => {
    while (!release) await delay(20);
    return release;
  };

  it('refuses a second run while one goes on (409), and runs again once it ended', async () => {
    const first = await api(mirror, 'POST', '/api/v1/admin/mirror/slow/run', { bearer: ADMIN_KEY });
    expect(first.status).to.equal(202);
    const second = await api<{ error: { code: string } }>(
      mirror,
      'POST',
      '/api/v1/admin/mirror/slow/run',
      { bearer: ADMIN_KEY },
    );
    expect([second.status, second.body.error.code]).to.deep.equal([409, 'conflict']);
    (await released())();
    while ((await mirrorItem(mirror, 'slow')).state === 'running') await delay(50);
    release = undefined;
    const again = runMirror(mirror, 'slow');
    (await released())();
    expect((await again).lastRun?.error).to.match(/^upstream slow: .*503/);
  });
});

describe('store mirror: runs on its interval', function () {
  this.timeout(30_000);
  let mirror: TestServer;
  before(async () => {
    mirror = await startTestServer({
      mirror: {
        upstreams: [
          // Nothing listens there: each run fails at once, which is enough to see it ran.
          {
            name: 'gone',
            url: 'http://127.0.0.1:9',
            key: ADMIN_KEY,
            apps: ['a/b'],
            intervalSeconds: 1,
          },
        ],
      },
    });
  });
  after(() => mirror?.close());

  it('starts runs by itself, intervalSeconds apart', async () => {
    const started = new Set<string>();
    while (started.size < 2) {
      const item = await mirrorItem(mirror, 'gone');
      if (item.lastRun?.finishedAt) started.add(item.lastRun.startedAt);
      await delay(100);
    }
    const [first, second] = [...started].sort();
    expect(Date.parse(second!) - Date.parse(first!)).to.be.greaterThanOrEqual(1000);
  });
});
