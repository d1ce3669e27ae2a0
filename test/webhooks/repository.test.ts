/**
 * The webhook repository on both engines: hooks and their per-scope cap, the outbox's deliveries
 * per scope, claiming due deliveries under a lease, the history's pruning, and two delivery
 * workers over one database (on PostgreSQL two pools, as two processes) sending every delivery to
 * a real receiver exactly once.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pino from 'pino';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { DeliveryWorker } from '../../server/webhooks/delivery-worker.js';
import { SecretBox } from '../../server/keys/secret-box.js';
import {
  webhookRepository,
  type NewHook,
  type WebhookRepository,
} from '../../server/webhooks/webhook-repository.js';
import { insertUser } from '../helpers/account-rows.js';
import { describeDialects } from '../helpers/dialects.js';
import { seedApp } from '../helpers/seed-rows.js';
import { Receiver } from './receiver.js';

const T0 = Date.parse('2026-03-10T12:00:00Z');
const log = pino({ level: 'silent' });

function urlOf(store: StoreDatabase): string {
  if (store.dialect !== 'postgres') throw new Error('not PostgreSQL');
  return (store.pool.options as { connectionString?: string }).connectionString!;
}

const hook = (
  namespaceId: number,
  app: string | null,
  url = 'http://127.0.0.1:9/hook',
): NewHook => ({
  namespaceId,
  app,
  url,
  events: JSON.stringify(['push']),
  format: 'default',
  secret: 'sealed',
  createdBy: 'acme',
  createdAt: T0,
});

/** Writes `n` deliveries of one event to every hook of acme that hears `app`'s events. */
function enqueue(repo: WebhookRepository, n: number, app?: string): Promise<number> {
  return repo.enqueue('acme', app, (hooks) =>
    hooks.flatMap((h) =>
      Array.from({ length: n }, (_, i) => ({
        webhookId: h.id,
        eventId: `e${i}`,
        event: 'push',
        body: `{"n":${i}}`,
        createdAt: T0 + i,
      })),
    ),
  );
}

describeDialects('webhook repository', ({ open }) => {
  let store: StoreDatabase;
  let repo: WebhookRepository;
  let acme: number;

  beforeEach(async () => {
    store = await open();
    repo = webhookRepository(store);
    await insertUser(store, 'acme');
    acme = (await repo.namespaceId('acme'))!;
  });

  it('makes hooks up to the cap of their scope, lists and deletes them', async () => {
    const a = await repo.createHook(hook(acme, null), 2);
    const b = await repo.createHook(hook(acme, null), 2);
    expect(await repo.createHook(hook(acme, null), 2)).to.equal(undefined);
    const own = await repo.createHook(hook(acme, 'web'), 2); // an app's hooks count apart
    expect(a && b && own).to.not.equal(undefined);
    expect((await repo.hooksOf(acme, undefined)).map((h) => h.id)).to.deep.equal([a!.id, b!.id]);
    expect((await repo.hooksOf(acme, 'web')).map((h) => h.id)).to.deep.equal([own!.id]);
    await repo.deleteHook(a!.id);
    expect((await repo.hooksOf(acme, undefined)).map((h) => h.id)).to.deep.equal([b!.id]);
    expect(await repo.namespaceId('nobody')).to.equal(undefined);
    await seedApp(store, 'acme', 'web', []);
    expect(await repo.appExists('acme', 'web')).to.equal(true);
    expect(await repo.appExists('acme', 'db')).to.equal(false);
  });

  it('writes an event to the namespace’s hooks and to the app’s own', async () => {
    const ns = (await repo.createHook(hook(acme, null), 20))!;
    const web = (await repo.createHook(hook(acme, 'web'), 20))!;
    expect(await enqueue(repo, 1)).to.equal(1); // a namespace event: the namespace's hooks
    expect(await enqueue(repo, 1, 'web')).to.equal(2);
    expect(await enqueue(repo, 1, 'db')).to.equal(1);
    expect(await repo.enqueue('nobody', undefined, () => [])).to.equal(0);
    expect(await repo.deliveriesOf(ns.id, 50)).to.have.length(3);
    const [mine] = await repo.deliveriesOf(web.id, 50);
    expect(mine).to.include({ state: 'pending', attempts: 0, nextAttemptAt: T0, body: '{"n":0}' });
    expect(await repo.delivery(web.id, mine!.id)).to.deep.equal(mine);
    expect(await repo.delivery(ns.id, mine!.id)).to.equal(undefined); // not that hook's
    const again = await repo.addDelivery({ ...mine!, redeliveryOf: mine!.id, createdAt: T0 + 9 });
    expect(again).to.include({ redeliveryOf: mine!.id, state: 'pending', nextAttemptAt: T0 + 9 });
    const page = await repo.deliveriesOf(ns.id, 2);
    expect(page.map((d) => d.id)).to.deep.equal([...page.map((d) => d.id)].sort((x, y) => y - x));
    expect(await repo.deliveriesOf(ns.id, 50, page[1]!.id)).to.have.length(1);
  });

  it('claims due deliveries under a lease, records attempts and prunes finished ones', async () => {
    const h = (await repo.createHook(hook(acme, null), 20))!;
    await enqueue(repo, 5);
    expect(await repo.nextDue()).to.equal(T0);
    const lease = T0 + 60_000;
    const first = await repo.claimDue(T0 + 2, lease, 8); // due: T0, T0+1, T0+2
    expect(first).to.have.length(3);
    expect(await repo.claimDue(T0 + 2, lease, 8)).to.deep.equal([]); // leased
    expect(await repo.claimDue(T0 + 10, lease, 1)).to.have.length(1);
    const found = await repo.deliveryWithHook(first[0]!);
    expect(found?.hook.id).to.equal(h.id);
    await repo.recordAttempt(first[0]!, {
      state: 'delivered',
      attempts: 1,
      statusCode: 200,
      error: null,
      attemptLog: '[]',
      lastAttemptAt: T0 + 3,
      nextAttemptAt: null,
      deliveredAt: T0 + 3,
    });
    await repo.release(first[1]!, T0 + 4); // cut short by shutdown: due again
    const due = await repo.claimDue(T0 + 4, lease, 8); // and the one due at T0 + 4
    expect(due).to.include(first[1]).and.to.have.length(2);
    expect(await repo.claimDue(lease, lease + 60_000, 8)).to.have.length(4); // leases ended
    expect(await repo.prune(T0 + 100)).to.equal(1); // only the finished one
    expect(await repo.deliveryWithHook(first[0]!)).to.equal(undefined);
  });

  it('sends each delivery once with two workers over one database', async () => {
    const other = store.dialect === 'postgres' ? await openPgStore(urlOf(store)) : store;
    const receiver = await Receiver.start();
    const secrets = new SecretBox(randomBytes(32));
    const workers: DeliveryWorker[] = [];
    try {
      await repo.createHook({ ...hook(acme, null, receiver.url), secret: secrets.seal('s') }, 20);
      const rules = {
        retryBaseSeconds: 1,
        retryMaxSeconds: 1,
        retryForHours: 1,
        timeoutSeconds: 5,
        historyDays: 30,
      };
      for (const db of [store, other])
        workers.push(
          new DeliveryWorker({
            repository: webhookRepository(db),
            secrets,
            fetch,
            rules,
            clock: Date.now,
            log,
          }),
        );
      const count = 40;
      await repo.enqueue('acme', undefined, (hooks) =>
        hooks.flatMap((h) =>
          Array.from({ length: count }, (_, i) => ({
            webhookId: h.id,
            eventId: `e${i}`,
            event: 'push',
            body: `{"n":${i}}`,
            createdAt: Date.now(),
          })),
        ),
      );
      for (const w of workers) w.start();
      await receiver.waitFor(() => true, count);
      await new Promise((r) => setTimeout(r, 300)); // a second send would arrive by now
      const ids = receiver.received.map((r) => String(r.headers['x-appshelf-delivery']));
      expect(ids).to.have.length(count);
      expect(new Set(ids).size).to.equal(count);
    } finally {
      for (const w of workers) await w.stop();
      await receiver.close();
      if (other !== store) await other.close();
    }
  });
});
