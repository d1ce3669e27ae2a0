/**
 * Which store actions become which webhook events (issue 17 §4), from the outside: an install
 * through the API, going on the shelf, a draft's failed image sync, a template push (draft),
 * deleting the whole app; and a delivery made before a restart still arrives after it (the
 * outbox is in the database).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { api, TestClock } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import {
  ADMIN_KEY,
  LOOPBACK_REGISTRIES,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';
import { RainstoreClient } from '../rainstore/client.js';
import { pushTemplate } from '../store/app-pushes.js';
import { pushApp } from '../web/push-app.js';
import { expectedSignature, Receiver, type Received } from './receiver.js';

const SECRET = 'events-test-secret-0123456789';

type Body = {
  event: string;
  namespace: string;
  app: string | null;
  actor: string | null;
  data: Record<string, unknown>;
};
const parsed = (r: Received) => JSON.parse(r.body) as Body;
const eventOf = (name: string) => (r: Received) => r.headers['x-appshelf-event'] === name;

async function addHook(srv: TestServer, url: string, events: string[]): Promise<number> {
  const made = await api<{ id: number }>(srv, 'POST', '/api/v1/namespaces/admin/webhooks', {
    bearer: ADMIN_KEY,
    body: { url, events, secret: SECRET },
  });
  expect(made.status, made.text).to.equal(201);
  return made.body.id;
}

describe('webhooks: the events of store actions', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let receiver: Receiver;
  let reg: TestRegistryClient;
  let hookId: number;

  before(async () => {
    // sync.allowHosts: [] — a draft whose image is on this machine fails its sync at once.
    srv = await startTestServer({
      sync: { allowHosts: [] },
      webhooks: { allowHosts: LOOPBACK_REGISTRIES, retryBaseSeconds: 0.1 },
    });
    receiver = await Receiver.start();
    reg = new TestRegistryClient(srv.url);
    hookId = await addHook(srv, receiver.url, [
      'push',
      'publish',
      'sync_failed',
      'delete',
      'install',
      'listed',
    ]);
  });
  after(async () => {
    await srv?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.clear());

  it('install through the API, then listed on and off the shelf', async () => {
    await pushApp(reg, 'admin/shop', '1.2.0');
    const installed = await api(srv, 'GET', '/api/v1/apps/admin/shop/versions/1.2.0/install', {
      bearer: ADMIN_KEY,
    });
    expect(installed.status, installed.text).to.equal(200);
    const [install] = await receiver.waitFor(eventOf('install'));
    expect(parsed(install!)).to.deep.include({
      app: 'shop',
      actor: 'admin',
      data: { repository: 'admin/shop', version: '1.2.0', via: 'api' },
    });
    for (const listed of [true, false]) {
      const res = await api(srv, 'PUT', '/api/v1/apps/admin/shop/shelf', {
        bearer: ADMIN_KEY,
        body: { listed },
      });
      expect(res.status, res.text).to.equal(200);
    }
    const shelf = await receiver.waitFor(eventOf('listed'), 2);
    expect(shelf.map((r) => parsed(r).data)).to.deep.equal([
      { repository: 'admin/shop', listed: true },
      { repository: 'admin/shop', listed: false },
    ]);
    for (const r of receiver.received)
      expect(r.headers['x-appshelf-signature']).to.equal(expectedSignature(r.body, SECRET));
  });

  it('install through the Rainstore API (a console taking the template), once per caller and version', async () => {
    await pushApp(reg, 'admin/console', '3.0.0');
    const shown = await api<{ appKey: string }>(srv, 'GET', '/api/v1/apps/admin/console', {
      bearer: ADMIN_KEY,
    });
    expect(shown.status, shown.text).to.equal(200);
    const { appKey } = shown.body;
    const installDeliveries = async () =>
      (
        await api<{ deliveries: { event: string }[] }>(
          srv,
          'GET',
          `/api/v1/namespaces/admin/webhooks/${hookId}/deliveries?limit=200`,
          { bearer: ADMIN_KEY },
        )
      ).body.deliveries.filter((d) => d.event === 'install').length;
    const before = await installDeliveries();
    const rs = new RainstoreClient(srv.url, 'appshelf', ADMIN_KEY);
    for (let i = 0; i < 2; i++) {
      const got = await rs.getVersion(appKey, '3.0.0', { forInstall: true, getTemplate: true });
      expect(got.status).to.equal(200);
    }
    const [install] = await receiver.waitFor(eventOf('install'));
    expect(parsed(install!)).to.deep.include({
      app: 'console',
      data: { repository: 'admin/console', version: '3.0.0', via: 'rainstore' },
    });
    // Deliveries are written in the request that caused them: a second install would be here.
    expect(await installDeliveries(), 'the second fetch is the same install').to.equal(before + 1);
  });

  it('a template push (a draft) is a push, not a publish; its failed sync is sync_failed', async () => {
    const template = {
      group_key: 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0',
      group_name: 'draft',
      group_version: '0.1.0',
      apps: [
        {
          service_id: 'b'.repeat(32),
          service_key: 'b'.repeat(32),
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: '127.0.0.1:9/acme/web:1',
        },
      ],
    };
    await pushTemplate(reg, 'admin/draft', Buffer.from(JSON.stringify(template)), '0.1.0');
    const [push] = await receiver.waitFor(eventOf('push'));
    expect(parsed(push!).data).to.include({ version: '0.1.0', kind: 'template' });
    const started = await api(srv, 'POST', '/api/v1/apps/admin/draft/versions/0.1.0/publish', {
      bearer: ADMIN_KEY,
      body: {},
    });
    expect(started.status, started.text).to.equal(202);
    const [failed] = await receiver.waitFor(eventOf('sync_failed'));
    expect(parsed(failed!)).to.deep.include({ app: 'draft', actor: 'admin' });
    expect(parsed(failed!).data).to.include({
      repository: 'admin/draft',
      version: '0.1.0',
      code: 'components_failed',
    });
    expect(receiver.received.filter(eventOf('publish'))).to.have.length(0);
  });

  it("deleting the app is a delete without a version, also to the app's own hooks", async () => {
    await pushApp(reg, 'admin/gone', '1.0.0');
    const hooks = '/api/v1/apps/admin/gone/webhooks';
    const own = await api<{ id: number }>(srv, 'POST', hooks, {
      bearer: ADMIN_KEY,
      body: { url: `${receiver.url}?own`, events: ['delete'], secret: SECRET },
    });
    expect(own.status, own.text).to.equal(201);
    const res = await api(srv, 'DELETE', '/api/v1/apps/admin/gone', { bearer: ADMIN_KEY });
    expect(res.status, res.text).to.equal(204);
    const both = await receiver.waitFor(eventOf('delete'), 2);
    expect(both.map((r) => r.path).sort()).to.deep.equal(['/hook', '/hook?own']);
    for (const gone of both)
      expect(parsed(gone)).to.deep.include({
        app: 'gone',
        actor: 'admin',
        data: { repository: 'admin/gone' },
      });
    const still = await api<{ webhooks: unknown[] }>(srv, 'GET', hooks, { bearer: ADMIN_KEY });
    expect([still.status, still.body.webhooks.length], 'the hook outlives its app').to.deep.equal([
      200, 1,
    ]);
    const removed = await api(srv, 'DELETE', `${hooks}/${own.body.id}`, { bearer: ADMIN_KEY });
    expect(removed.status).to.equal(204);
  });
});

describe('webhooks: the outbox outlives a restart', function () {
  this.timeout(60_000);

  it('delivers after a restart what a receiver refused before it', async () => {
    const data = await mkdtemp(join(tmpdir(), 'appshelf-webhooks-'));
    const receiver = await Receiver.start();
    const config = { webhooks: { allowHosts: LOOPBACK_REGISTRIES, retryBaseSeconds: 0.2 } };
    try {
      const first = await startTestServer(config, { data });
      const id = await addHook(first, receiver.url, ['push']);
      receiver.answer(...Array<number>(1000).fill(500));
      await pushApp(new TestRegistryClient(first.url), 'admin/durable', '1.0.0');
      await receiver.waitFor(eventOf('push'));
      await first.close();

      receiver.answer(); // 200 from now on
      const second = await startTestServer(config, { data });
      try {
        const delivered = await receiver.waitFor(
          (r) => r.headers['x-appshelf-event'] === 'push' && receiver.received.indexOf(r) >= 0,
          2,
        );
        expect(new Set(delivered.map((r) => r.body)).size).to.equal(1);
        const deadline = Date.now() + 10_000;
        let state = '';
        while (state !== 'delivered' && Date.now() < deadline) {
          const list = await api<{ deliveries: { state: string }[] }>(
            second,
            'GET',
            `/api/v1/namespaces/admin/webhooks/${id}/deliveries`,
            { bearer: ADMIN_KEY },
          );
          state = list.body.deliveries[0]?.state ?? '';
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(state).to.equal('delivered');
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});

describe('webhooks: the history is kept for webhooks.historyDays', function () {
  this.timeout(60_000);

  it('removes finished deliveries older than that, and keeps newer ones', async () => {
    const clock = new TestClock();
    const receiver = await Receiver.start();
    const srv = await startTestServer(
      { webhooks: { allowHosts: LOOPBACK_REGISTRIES, historyDays: 2 } },
      { clock: clock.now },
    );
    try {
      const id = await addHook(srv, receiver.url, ['push']);
      const history = async () =>
        (
          await api<{ deliveries: { state: string }[] }>(
            srv,
            'GET',
            `/api/v1/namespaces/admin/webhooks/${id}/deliveries`,
            { bearer: ADMIN_KEY },
          )
        ).body.deliveries;
      const reg = new TestRegistryClient(srv.url);
      await pushApp(reg, 'admin/old', '1.0.0');
      await receiver.waitFor(eventOf('push'));
      clock.advance(3 * 86_400_000);
      await pushApp(reg, 'admin/new', '1.0.0'); // wakes the worker, which prunes first
      await receiver.waitFor(eventOf('push'), 2);
      const deadline = Date.now() + 10_000;
      let left = await history();
      while (left.length !== 1 && Date.now() < deadline) left = await history();
      expect(left.map((d) => d.state)).to.deep.equal(['delivered']);
    } finally {
      await srv.close();
      await receiver.close();
    }
  });
});
