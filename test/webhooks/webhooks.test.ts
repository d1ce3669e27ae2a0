/**
 * Webhooks from the outside (issue 17 §4): hooks made through the store API, events caused through
 * /v2 (the registry client) and the store API, deliveries received by a real HTTP listener,
 * signatures checked as a receiver checks them, both formats, retries with back-off shown in the
 * history, redelivery, who may manage hooks, and the outbound-address rules at creation and at
 * delivery (redirects too). The store's back-off is shortened (`webhooks.retryBaseSeconds`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { api, loginWithPhone, type ApiError } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import {
  ADMIN_KEY,
  LOOPBACK_REGISTRIES,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';
import { pushApp } from '../web/push-app.js';
import { expectedSignature, Receiver, type Received } from './receiver.js';

const SECRET = 'a-webhook-secret-0123456789';

interface Hook {
  id: number;
  url: string;
  events: string[];
  format: string;
  app: string | null;
}
interface Delivery {
  id: number;
  event: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  statusCode: number | null;
  error: string | null;
  attemptLog: { statusCode?: number; error?: string }[];
  redeliveryOf: number | null;
}

/** Polls `read` until `done` holds (10 s at most): the worker delivers in the background. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const eventOf = (name: string) => (r: Received) => r.headers['x-appshelf-event'] === name;

describe('webhooks: deliveries to a real receiver', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let receiver: Receiver;
  let owner: string; // wanda's session
  let pushKey: string;

  const hooksOf = (scope: string) => `/api/v1/${scope}/webhooks`;
  const makeHook = (scope: string, body: object, bearer = owner) =>
    api<Hook & ApiError>(srv, 'POST', hooksOf(scope), { bearer, body });
  const deliveries = async (scope: string, id: number) =>
    (
      await api<{ deliveries: Delivery[] }>(srv, 'GET', `${hooksOf(scope)}/${id}/deliveries`, {
        bearer: owner,
      })
    ).body.deliveries;

  before(async () => {
    srv = await startTestServer({
      webhooks: { allowHosts: LOOPBACK_REGISTRIES, retryBaseSeconds: 0.1 },
    });
    receiver = await Receiver.start();
    owner = (await loginWithPhone(srv, '+4915112347001', 'wanda')).token;
    pushKey = (
      await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
        bearer: owner,
        body: { name: 'push', scopes: ['push'] },
      })
    ).body.key;
  });
  after(async () => {
    await srv?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.clear());

  it('sends push and publish of a /v2 push to a namespace hook, signed, in the default format', async () => {
    const made = await makeHook('namespaces/wanda', {
      url: receiver.url,
      events: ['push', 'publish'],
      secret: SECRET,
    });
    expect(made.status, made.text).to.equal(201);
    expect(made.body).to.include({ url: receiver.url, format: 'default', app: null });
    expect(made.text).not.to.include(SECRET);

    const reg = new TestRegistryClient(srv.url, { username: 'wanda', password: pushKey });
    await pushApp(reg, 'wanda/notes', '1.0.0');
    const [push] = await receiver.waitFor(eventOf('push'));
    const [publish] = await receiver.waitFor(eventOf('publish'));
    for (const got of [push!, publish!]) {
      expect(got.headers['content-type']).to.equal('application/json');
      expect(got.headers['x-appshelf-signature']).to.equal(expectedSignature(got.body, SECRET));
    }
    const body = JSON.parse(push!.body) as Record<string, unknown>;
    expect(body).to.include({ event: 'push', namespace: 'wanda', app: 'notes', actor: 'wanda' });
    expect(body.data).to.include({ repository: 'wanda/notes', version: '1.0.0', kind: 'bundle' });
    expect(body.id).to.be.a('string');
    expect(Date.parse(body.occurredAt as string)).to.be.closeTo(Date.now(), 60_000);
    expect(JSON.parse(publish!.body)).to.deep.include({ event: 'publish', app: 'notes' });

    const history = await eventually(
      () => deliveries('namespaces/wanda', made.body.id),
      (list) => list.length === 2 && list.every((d) => d.state === 'delivered'),
    );
    expect(history.map((d) => [d.event, d.state, d.statusCode, d.attempts])).to.have.deep.members([
      ['push', 'delivered', 200, 1],
      ['publish', 'delivered', 200, 1],
    ]);
    const listed = await api<{ webhooks: Hook[] }>(srv, 'GET', hooksOf('namespaces/wanda'), {
      bearer: owner,
    });
    expect(listed.body.webhooks.map((h) => h.id)).to.deep.equal([made.body.id]);
    expect(listed.text).not.to.include(SECRET);
    expect(srv.logs.join('\n')).not.to.include(SECRET);
    for (const file of ['appshelf.db', 'appshelf.db-wal']) {
      const bytes = existsSync(join(srv.data, file))
        ? readFileSync(join(srv.data, file))
        : Buffer.alloc(0);
      expect(bytes.includes(SECRET), `the secret in clear in ${file}`).to.equal(false);
    }
    expect(
      (
        await api(srv, 'DELETE', `${hooksOf('namespaces/wanda')}/${made.body.id}`, {
          bearer: owner,
        })
      ).status,
    ).to.equal(204);
  });

  it('sends an app hook CloudEvents 1.0 (structured mode) for a version deleted through the API', async () => {
    const reg = new TestRegistryClient(srv.url, { username: 'wanda', password: pushKey });
    await pushApp(reg, 'wanda/board', '1.0.0');
    const made = await makeHook('apps/wanda/board', {
      url: receiver.url,
      events: ['delete'],
      secret: SECRET,
      format: 'cloudevents',
    });
    expect(made.status, made.text).to.equal(201);
    expect(made.body.app).to.equal('board');
    const gone = await api(srv, 'DELETE', '/api/v1/apps/wanda/board/versions/1.0.0', {
      bearer: owner,
    });
    expect(gone.status, gone.text).to.equal(200);
    const [got] = await receiver.waitFor(eventOf('delete'));
    expect(got!.headers['content-type']).to.equal('application/cloudevents+json');
    expect(got!.headers['x-appshelf-signature']).to.equal(expectedSignature(got!.body, SECRET));
    const event = JSON.parse(got!.body) as Record<string, unknown>;
    expect(event).to.include({
      specversion: '1.0',
      type: 'io.appshelf.delete',
      source: '/api/v1/apps/wanda/board',
      subject: 'wanda/board',
      datacontenttype: 'application/json',
      appshelfactor: 'wanda',
    });
    expect(event.id).to.be.a('string');
    expect(Date.parse(event.time as string)).to.be.a('number').and.not.NaN;
    expect(event.data).to.deep.equal({ repository: 'wanda/board', version: '1.0.0' });
  });

  it('retries a failing receiver with back-off and shows the attempts; redelivers on request', async () => {
    const made = await makeHook('namespaces/wanda', {
      url: receiver.url,
      events: ['push'],
      secret: SECRET,
    });
    receiver.answer(500, 503);
    const reg = new TestRegistryClient(srv.url, { username: 'wanda', password: pushKey });
    await pushApp(reg, 'wanda/retry', '2.0.0');
    const sent = await receiver.waitFor(eventOf('push'), 3);
    expect(new Set(sent.map((r) => r.body)).size, 'the same body every time').to.equal(1);
    expect(new Set(sent.map((r) => r.headers['x-appshelf-delivery'])).size).to.equal(1);
    const [delivery] = await eventually(
      () => deliveries('namespaces/wanda', made.body.id),
      (list) => list[0]?.state === 'delivered',
    );
    expect(delivery).to.include({ state: 'delivered', attempts: 3, statusCode: 200, error: null });
    expect(delivery!.attemptLog.map((a) => a.statusCode)).to.deep.equal([500, 503, 200]);
    expect(delivery!.attemptLog[0]!.error).to.equal('the receiver answered 500');

    receiver.clear();
    const again = await api<Delivery>(
      srv,
      'POST',
      `${hooksOf('namespaces/wanda')}/${made.body.id}/deliveries/${delivery!.id}/redeliver`,
      { bearer: owner },
    );
    expect(again.status, again.text).to.equal(202);
    expect(again.body).to.include({ redeliveryOf: delivery!.id, state: 'pending' });
    const [resent] = await receiver.waitFor(eventOf('push'));
    expect(resent!.body).to.equal(sent[0]!.body);
    expect(resent!.headers['x-appshelf-signature']).to.equal(
      expectedSignature(resent!.body, SECRET),
    );
    const history = await eventually(
      () => deliveries('namespaces/wanda', made.body.id),
      (list) => list[0]?.state === 'delivered',
    );
    expect(history.map((d) => [d.id, d.redeliveryOf])).to.deep.equal([
      [again.body.id, delivery!.id],
      [delivery!.id, null],
    ]);
    await api(srv, 'DELETE', `${hooksOf('namespaces/wanda')}/${made.body.id}`, { bearer: owner });
  });

  it('lets only the namespace owner or an admin manage hooks', async () => {
    const other = (await loginWithPhone(srv, '+4915112347002', 'otto')).token;
    const readKey = (
      await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
        bearer: owner,
        body: { name: 'read', scopes: ['read'] },
      })
    ).body.key;
    const body = { url: receiver.url, events: ['push'], secret: SECRET };
    const refused = [
      await makeHook('namespaces/wanda', body, other),
      await makeHook('apps/wanda/notes', body, other),
      await makeHook('namespaces/wanda', body, readKey),
    ];
    expect(refused.map((r) => [r.status, r.body.error.code])).to.deep.equal([
      [403, 'forbidden'],
      [403, 'forbidden'],
      [403, 'forbidden'],
    ]);
    const anonymous = await api<ApiError>(srv, 'GET', hooksOf('namespaces/wanda'));
    expect([anonymous.status, anonymous.body.error.code]).to.deep.equal([401, 'unauthorized']);
    const listByOther = await api<ApiError>(srv, 'GET', hooksOf('namespaces/wanda'), {
      bearer: other,
    });
    expect(listByOther.status).to.equal(403);
    const byAdmin = await makeHook('namespaces/wanda', body, ADMIN_KEY);
    expect(byAdmin.status, byAdmin.text).to.equal(201);
    const deleteByOther = await api(
      srv,
      'DELETE',
      `${hooksOf('namespaces/wanda')}/${byAdmin.body.id}`,
      {
        bearer: other,
      },
    );
    expect(deleteByOther.status).to.equal(403);
    const ownHooks = await makeHook('namespaces/otto', body, other);
    expect(ownHooks.status, ownHooks.text).to.equal(201);
    const crossed = await api<ApiError>(
      srv,
      'GET',
      `${hooksOf('namespaces/wanda')}/${ownHooks.body.id}`,
      { bearer: owner },
    );
    expect(crossed.status, 'a hook is found only under its own namespace').to.equal(404);
    const missing = await makeHook('namespaces/nobody-here', body, ADMIN_KEY);
    expect(missing.status).to.equal(404);
    const noApp = await makeHook('apps/wanda/no-such-app', body);
    expect(noApp.status).to.equal(404);
  });

  it('refuses bad hook bodies with the documented error', async () => {
    const cases: [string, object][] = [
      ['no events', { url: receiver.url, events: [], secret: SECRET }],
      ['an unknown event', { url: receiver.url, events: ['pull'], secret: SECRET }],
      ['a short secret', { url: receiver.url, events: ['push'], secret: 'short' }],
      ['not http', { url: 'ftp://example.com/x', events: ['push'], secret: SECRET }],
      ['an unknown format', { url: receiver.url, events: ['push'], secret: SECRET, format: 'xml' }],
      ['an unknown key', { url: receiver.url, events: ['push'], secret: SECRET, extra: 1 }],
    ];
    for (const [what, body] of cases) {
      const res = await makeHook('namespaces/wanda', body);
      expect([res.status, res.body.error?.code], what).to.deep.equal([400, 'invalid']);
    }
  });
});

describe('webhooks: the outbound-address rules', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let elsewhere: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    elsewhere = await Receiver.start();
  });
  after(async () => {
    await receiver?.close();
    await elsewhere?.close();
  });

  it('refuses a hook at a loopback or private address by default', async () => {
    const srv = await startTestServer(); // webhooks.allowHosts: [] (the default)
    try {
      const body = { events: ['push'], secret: SECRET };
      for (const url of [
        receiver.url,
        'http://10.1.2.3/hook',
        'http://[::1]:9/x',
        'http://localhost/x',
      ]) {
        const res = await api<ApiError>(srv, 'POST', '/api/v1/namespaces/admin/webhooks', {
          bearer: ADMIN_KEY,
          body: { ...body, url },
        });
        expect(res.status, url).to.equal(400);
        expect(res.body.error.message, url).to.include('webhooks.allowHosts');
        expect(res.body.error.details, url).to.include({ code: 'blocked' });
      }
    } finally {
      await srv.close();
    }
  });

  it('refuses at delivery a redirect to an address the rules do not allow', async () => {
    const srv = await startTestServer({
      webhooks: { allowHosts: [`127.0.0.1:${receiver.port}`], retryBaseSeconds: 60 },
    });
    try {
      const made = await api<Hook>(srv, 'POST', '/api/v1/namespaces/admin/webhooks', {
        bearer: ADMIN_KEY,
        body: { url: receiver.url, events: ['push'], secret: SECRET },
      });
      expect(made.status, made.text).to.equal(201);
      receiver.redirect(elsewhere.url);
      const reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
      await pushApp(reg, 'admin/redirected', '1.0.0');
      const [first] = await eventually(
        async () =>
          (
            await api<{ deliveries: Delivery[] }>(
              srv,
              'GET',
              `/api/v1/namespaces/admin/webhooks/${made.body.id}/deliveries`,
              { bearer: ADMIN_KEY },
            )
          ).body.deliveries,
        (list) => (list[0]?.attempts ?? 0) >= 1,
      );
      expect(first).to.include({ state: 'pending', attempts: 1, statusCode: null });
      expect(first!.error).to.include(`127.0.0.1:${elsewhere.port}`).and.include('not allowed');
      expect(receiver.received.length).to.equal(1);
      expect(elsewhere.received.length, 'the redirect target got nothing').to.equal(0);
    } finally {
      receiver.redirect(undefined);
      await srv.close();
    }
  });
});
