/**
 * Retention (issue 17 §3), from the outside: an owner sets rules through the store API, a dry run
 * says what would go and why every other version stays (listed, in a package, among the newest,
 * immutable, used lately), the real run removes exactly that through the registry (the tags are
 * gone from /v2, the versions from the API, each removal audited), untagged manifests older than
 * the rule's hours go, and GC reports the bytes freed. Maintainers may neither set nor run rules.
 */
import { rm } from 'node:fs/promises';
import { expect } from 'chai';
import { clientHome } from '../clients/client-env.js';
import { run as runCommand } from '../helpers/tools.js';
import { api, loginWithPhone, TestClock, orgWithMaintainer } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import {
  ADMIN_KEY,
  LOOPBACK_REGISTRIES,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';
import { pushApp } from '../web/push-app.js';
import { Receiver } from '../webhooks/receiver.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Report {
  namespace: string;
  app: string | null;
  dryRun: boolean;
  removed: {
    repository: string;
    version: string;
    digest: string;
    reason: string;
    forced?: string;
  }[];
  kept: { repository: string; version: string; kept: string[] }[];
  untagged: { repository: string; digest: string; reason: string }[];
  gc: { bytesFreed: number; blobsDeleted: number; manifestsDeleted: number } | null;
}

describe('governance: retention', function () {
  this.timeout(60_000);
  const clock = new TestClock();
  let srv: TestServer;
  let owner: TestRegistryClient;
  let ownerSession: string;
  let maintainerSession: string;
  let untaggedDigest: string;
  let receiver: Receiver;

  async function registryClientOf(session: string, name: string): Promise<TestRegistryClient> {
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'ci', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    return new TestRegistryClient(srv.url, { username: name, password: key.body.key });
  }

  const run = async (path: string, query: string, bearer = ownerSession) => {
    const res = await api<Report>(srv, 'POST', `${path}/retention/run${query}`, { bearer });
    expect(res.status, res.text).to.equal(200);
    return res.body;
  };
  const keptOf = (r: Report) => Object.fromEntries(r.kept.map((k) => [k.version, k.kept]));
  const versionsOf = async (app: string) => {
    const res = await api<{ version: string }[] | { versions: { version: string }[] }>(
      srv,
      'GET',
      `/api/v1/apps/acme/${app}/versions`,
      { bearer: ADMIN_KEY },
    );
    expect(res.status, res.text).to.equal(200);
    const list = Array.isArray(res.body) ? res.body : res.body.versions;
    return list.map((v) => v.version).sort();
  };

  before(async () => {
    receiver = await Receiver.start();
    srv = await startTestServer(
      {
        registry: { gc: { graceSeconds: 60 } },
        webhooks: { allowHosts: LOOPBACK_REGISTRIES },
      } as never,
      { clock: clock.now },
    );
    ({ ownerSession, maintainerSession } = await orgWithMaintainer(
      srv,
      'acme',
      { phone: '+4915112341801', name: 'olga' },
      { phone: '+4915112341802', name: 'max' },
    ));
    owner = await registryClientOf(ownerSession, 'olga');
    const hook = await api(srv, 'POST', '/api/v1/namespaces/acme/webhooks', {
      bearer: ownerSession,
      body: { url: receiver.url, events: ['delete'], secret: 'retention-test-secret' },
    });
    expect(hook.status, hook.text).to.equal(201);
    // Pushed out of semver order: the rules go by semver, not push time.
    for (const v of ['1.2.0', '1.0.0', '2.1.0', '1.1.0', '2.0.0', '0.9.0'])
      await pushApp(owner, 'acme/web', v);
    const pkg = await api(srv, 'POST', '/api/v1/apps/acme/web/packages', {
      bearer: ownerSession,
      body: { name: 'stable', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    const shelf = await api(srv, 'PUT', '/api/v1/apps/acme/web/shelf', {
      bearer: ownerSession,
      body: { listed: true },
    });
    expect(shelf.status, shelf.text).to.equal(200);
    // An image whose only tag is deleted: an untagged manifest.
    untaggedDigest = (await owner.pushImage('acme/base', 'tmp')).digest;
    const untag = await owner.request('DELETE', '/v2/acme/base/manifests/tmp');
    expect(untag.status).to.equal(202);
  });
  after(async () => {
    await srv?.close();
    await receiver?.close();
  });

  it('lets owners set and read the rules, not maintainers or anonymous callers', async () => {
    const none = await api(srv, 'GET', '/api/v1/namespaces/acme/retention', {
      bearer: ownerSession,
    });
    expect(none.body).to.deep.equal({
      keepNewest: null,
      keepPulledDays: null,
      untaggedHours: null,
    });
    const byMaintainer = await api(srv, 'PUT', '/api/v1/namespaces/acme/retention', {
      bearer: maintainerSession,
      body: { keepNewest: 1 },
    });
    expect(byMaintainer.status).to.equal(403);
    const runByMaintainer = await api(srv, 'POST', '/api/v1/namespaces/acme/retention/run', {
      bearer: maintainerSession,
    });
    expect(runByMaintainer.status).to.equal(403);
    expect((await api(srv, 'GET', '/api/v1/namespaces/acme/retention')).status).to.equal(401);
    const bad = await api<{ error: { code: string } }>(
      srv,
      'PUT',
      '/api/v1/namespaces/acme/retention',
      { bearer: ownerSession, body: { keepNewest: -1 } },
    );
    expect([bad.status, bad.body.error.code]).to.deep.equal([400, 'invalid']);
    const noSuch = await api(srv, 'PUT', '/api/v1/namespaces/nobody-here/retention', {
      bearer: ownerSession,
      body: { keepNewest: 1 },
    });
    expect(noSuch.status).to.equal(404);
    const set = await api(srv, 'PUT', '/api/v1/namespaces/acme/retention', {
      bearer: ownerSession,
      body: { keepNewest: 2, untaggedHours: 1 },
    });
    expect(set.status, set.text).to.equal(200);
    const read = await api(srv, 'GET', '/api/v1/namespaces/acme/retention', {
      bearer: maintainerSession,
    });
    expect(read.body).to.deep.equal({ keepNewest: 2, keepPulledDays: null, untaggedHours: 1 });
  });

  it('dry-runs by default and says why each kept version stays', async () => {
    const plan = await run('/api/v1/namespaces/acme', '');
    expect(plan.dryRun).to.equal(true);
    expect(plan.gc).to.equal(null);
    expect(plan.removed.map((r) => r.version)).to.deep.equal(['1.2.0', '1.1.0', '0.9.0']);
    expect(plan.removed[0]!.reason).to.equal('not among the 2 newest');
    expect(keptOf(plan)).to.deep.equal({
      '2.1.0': ['among the 2 newest', 'listed'],
      '2.0.0': ['among the 2 newest'],
      '1.0.0': ['in package stable'],
    });
    expect(plan.untagged, 'not an hour old yet').to.deep.equal([]);
    expect(await versionsOf('web')).to.have.length(6);
  });

  it('keeps immutable versions unless the owner forces the run', async () => {
    const on = await api(srv, 'PUT', '/api/v1/namespaces/acme/immutability', {
      bearer: ownerSession,
      body: { versions: true },
    });
    expect(on.status, on.text).to.equal(200);
    const plan = await run('/api/v1/namespaces/acme', '?dryRun=true');
    expect(plan.removed).to.deep.equal([]);
    expect(keptOf(plan)['1.1.0']).to.deep.equal(['immutable (published versions are immutable)']);
    const byAdmin = await run('/api/v1/namespaces/acme', '?dryRun=true&force=true', ADMIN_KEY);
    expect(
      byAdmin.removed.map((r) => r.version),
      'an admin may force too',
    ).to.have.length(3);
    const forced = await run('/api/v1/namespaces/acme', '?dryRun=true&force=true');
    expect(forced.removed.map((r) => [r.version, r.forced])).to.deep.equal([
      ['1.2.0', 'published versions are immutable'],
      ['1.1.0', 'published versions are immutable'],
      ['0.9.0', 'published versions are immutable'],
    ]);
  });

  it('removes exactly what the dry run listed, untagged manifests after H hours, and reports bytes freed', async () => {
    clock.advance(2 * HOUR);
    const plan = await run('/api/v1/namespaces/acme', '?dryRun=true&force=true');
    expect(plan.untagged).to.deep.equal([
      { repository: 'acme/base', digest: untaggedDigest, reason: 'untagged for more than 1 hours' },
    ]);
    const done = await run('/api/v1/namespaces/acme', '?dryRun=false&force=true');
    expect(done.dryRun).to.equal(false);
    expect(done.removed).to.deep.equal(plan.removed);
    expect(done.kept).to.deep.equal(plan.kept);
    expect(done.untagged).to.deep.equal(plan.untagged);
    expect(done.gc!.bytesFreed).to.be.greaterThan(0);
    expect(done.gc!.blobsDeleted).to.be.greaterThan(0);

    expect(await versionsOf('web')).to.deep.equal(['1.0.0', '2.0.0', '2.1.0']);
    for (const gone of ['1.2.0', '1.1.0', '0.9.0'])
      expect((await owner.request('GET', `/v2/acme/web/manifests/${gone}`)).status).to.equal(404);
    expect(
      (await owner.request('GET', `/v2/acme/base/manifests/${untaggedDigest}`)).status,
    ).to.equal(404);
    // What a real client sees: skopeo finds the kept version and no longer the removed ones.
    const home = await clientHome('skopeo-retention');
    try {
      const inspect = (tag: string) =>
        runCommand(
          'skopeo',
          [
            'inspect',
            '--raw',
            '--tls-verify=false',
            '--creds',
            `admin:${ADMIN_KEY}`,
            `docker://${srv.host}/acme/web:${tag}`,
          ],
          { env: home.env, allowFailure: true, timeoutMs: 50_000 },
        );
      expect((await inspect('2.1.0')).code, 'skopeo inspect of a kept version').to.equal(0);
      const removed = await inspect('1.2.0');
      expect(removed.code, 'skopeo inspect of a removed version').to.not.equal(0);
      expect(removed.stderr).to.match(/manifest unknown/i);
    } finally {
      await rm(home.dir, { recursive: true, force: true });
    }

    const audit = await api<{ entries: { action: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=100',
      { bearer: ADMIN_KEY },
    );
    expect(audit.status, audit.text).to.equal(200);
    const actions = (action: string) =>
      audit.body.entries.filter((e) => e.action === action).map((e) => e.target);
    expect(actions('retention.removed')).to.have.members([
      'acme/web:1.2.0',
      'acme/web:1.1.0',
      'acme/web:0.9.0',
      `acme/base@${untaggedDigest}`,
    ]);
    expect(actions('tag.force_deleted')).to.include.members(['acme/web:1.1.0']);
    expect(actions('retention.run')).to.deep.equal(['acme']);

    const deletes = await receiver.waitFor((r) => r.headers['x-appshelf-event'] === 'delete', 3);
    expect(
      deletes.map((r) => (JSON.parse(r.body) as { data: { version: string } }).data.version),
    ).to.have.members(['1.2.0', '1.1.0', '0.9.0']);

    const again = await run('/api/v1/namespaces/acme', '?dryRun=true');
    expect(again.removed).to.deep.equal([]);
  });

  it("applies an app's own rules, keeping versions pulled or installed in the last D days", async () => {
    await api(srv, 'PUT', '/api/v1/namespaces/acme/immutability', {
      bearer: ownerSession,
      body: { versions: false },
    });
    for (const v of ['1.0.0', '2.0.0', '3.0.0', '4.0.0']) await pushApp(owner, 'acme/api', v);
    const set = await api(srv, 'PUT', '/api/v1/apps/acme/api/retention', {
      bearer: ownerSession,
      body: { keepNewest: 1, keepPulledDays: 7 },
    });
    expect(set.status, set.text).to.equal(200);
    const fresh = await run('/api/v1/apps/acme/api', '?dryRun=true');
    expect(fresh.removed, 'all pushed in the last 7 days').to.deep.equal([]);

    clock.advance(8 * DAY);
    expect((await owner.request('GET', '/v2/acme/api/manifests/1.0.0')).status).to.equal(200);
    const install = await api(srv, 'GET', '/api/v1/apps/acme/api/versions/2.0.0/install', {
      bearer: ownerSession,
    });
    expect(install.status, install.text).to.equal(200);

    const plan = await run('/api/v1/apps/acme/api', '?dryRun=true');
    expect(plan.app).to.equal('api');
    expect(plan.removed.map((r) => r.version)).to.deep.equal(['3.0.0']);
    expect(plan.removed[0]!.reason).to.equal(
      'not among the 1 newest, not pushed, pulled or installed in the last 7 days',
    );
    const used = ['pushed, pulled or installed in the last 7 days'];
    expect(keptOf(plan)).to.deep.equal({
      '4.0.0': ['among the 1 newest'],
      '2.0.0': used,
      '1.0.0': used,
    });
    expect(plan.kept.every((k) => k.repository === 'acme/api')).to.equal(true);
    const done = await run('/api/v1/apps/acme/api', '?dryRun=false');
    expect(done.removed).to.deep.equal(plan.removed);
    expect(await versionsOf('api')).to.deep.equal(['1.0.0', '2.0.0', '4.0.0']);
    expect(await versionsOf('web'), 'the app run left the other app alone').to.deep.equal([
      '1.0.0',
      '2.0.0',
      '2.1.0',
    ]);
    const unknown = await api(srv, 'GET', '/api/v1/apps/acme/nothing/retention', {
      bearer: ownerSession,
    });
    expect(unknown.status).to.equal(404);
  });
});

describe('governance: scheduled retention runs', function () {
  this.timeout(60_000);
  let srv: TestServer;
  after(() => srv?.close());

  it('runs every namespace with rules every retention.intervalSeconds, as the actor retention', async () => {
    srv = await startTestServer({ retention: { intervalSeconds: 1 } } as never);
    const session = (await loginWithPhone(srv, '+4915112341803', 'sam')).token;
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'ci', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    const reg = new TestRegistryClient(srv.url, { username: 'sam', password: key.body.key });
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) await pushApp(reg, 'sam/tool', v);
    const set = await api(srv, 'PUT', '/api/v1/namespaces/sam/retention', {
      bearer: session,
      body: { keepNewest: 1 },
    });
    expect(set.status, set.text).to.equal(200);
    const deadline = Date.now() + 10_000;
    let left: string[] = [];
    while (Date.now() < deadline) {
      const res = await api<{ version: string }[] | { versions: { version: string }[] }>(
        srv,
        'GET',
        '/api/v1/apps/sam/tool/versions',
        { bearer: session },
      );
      left = (Array.isArray(res.body) ? res.body : res.body.versions).map((v) => v.version);
      if (left.length === 1) break;
      await new Promise((wake) => setTimeout(wake, 200));
    }
    expect(left).to.deep.equal(['3.0.0']);
    const audit = await api<{ entries: { action: string; actor: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=100',
      { bearer: ADMIN_KEY },
    );
    expect(
      audit.body.entries
        .filter((e) => e.action === 'retention.removed')
        .map((e) => [e.actor, e.target]),
    ).to.have.deep.members([
      ['retention', 'sam/tool:1.0.0'],
      ['retention', 'sam/tool:2.0.0'],
    ]);
  });
});
