/**
 * Builds the webhook machinery from config: the event bus the store emits on, the outbox that
 * turns events into deliveries, the worker that sends them over the guarded fetch, and the
 * service the API and the web manage hooks through.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  createOutboundFetch,
  OutboundPolicy,
  type SelfAddress,
} from '../../registry/client/index.js';
import type { Config } from '../../schemas/config.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { dataMigrationRepository } from '../db/data-migration-repository.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { ServerSecrets } from '../keys/server-secrets.js';
import { DeliveryWorker } from './delivery-worker.js';
import { WebhookOutbox } from './outbox.js';
import { SecretBox } from '../keys/secret-box.js';
import { StoreEvents } from './store-events.js';
import { webhookRepository, type WebhookRepository } from './webhook-repository.js';
import { WebhookService } from './webhook-service.js';

export interface Webhooks {
  events: StoreEvents;
  service: WebhookService;
  close(): Promise<void>;
}

export async function createWebhooks(deps: {
  store: StoreDatabase;
  config: Config;
  secrets: ServerSecrets;
  permissions: Permissions;
  audit: AuditLog;
  clock: () => number;
  log: Logger;
  /** This store's listen addresses: a hook never posts to the store itself. */
  self: () => readonly SelfAddress[];
}): Promise<Webhooks> {
  const { config, clock, log } = deps;
  const repository = webhookRepository(deps.store);
  const policy = new OutboundPolicy({
    allowHosts: config.webhooks.allowHosts,
    self: deps.self,
    allowKey: 'webhooks.allowHosts',
  });
  const outbound = createOutboundFetch(policy, {
    idleTimeoutMs: config.webhooks.timeoutSeconds * 1000,
  });
  const keys = {
    key: deps.secrets.key('webhook-secrets'),
    replaced: deps.secrets.replacedKey('webhook-secrets'),
  };
  const secrets = new SecretBox(keys.key, keys.replaced);
  await sealAgain(deps.store, repository, secrets, keys, log, clock);
  const worker = new DeliveryWorker({
    repository,
    secrets,
    fetch: outbound,
    rules: config.webhooks,
    clock,
    log,
  });
  const kick = () => setImmediate(() => worker.kick()); // after the emitter's transaction commits
  const events = new StoreEvents(log);
  new WebhookOutbox({ repository, clock, publicUrl: config.publicUrl, kick }).attach(events);
  const service = new WebhookService({
    repository,
    permissions: deps.permissions,
    secrets,
    policy,
    audit: deps.audit,
    clock,
    kick,
  });
  worker.start();
  return {
    events,
    service,
    async close() {
      await worker.stop();
      await outbound.dispatcher.close();
    },
  };
}

/**
 * Once `server.secretKey` replaces a data folder's own webhook key, the first process started on
 * that folder seals every hook's secret again under the derived key, so processes without the old
 * file can sign with them too. Done once per pair of keys: the scan is recorded in
 * data_migrations (under a fingerprint of both keys, so a new secretKey or another old file scans
 * again), and later starts skip it while the old file stays (it still opens what an older backup
 * sealed). PostgreSQL processes starting together take the data migrations' lock, so one scans.
 */
async function sealAgain(
  store: StoreDatabase,
  repository: WebhookRepository,
  secrets: SecretBox,
  keys: { key: Buffer; replaced: Buffer | undefined },
  log: Logger,
  clock: () => number,
): Promise<void> {
  if (!keys.replaced) return;
  const name = `webhook-secrets-sealed-again:${fingerprint(keys.replaced, keys.key)}`;
  const record = dataMigrationRepository(store);
  await record.exclusive(async () => {
    if (await record.applied(name)) return;
    let moved = 0;
    let skipped = 0;
    for (const { id, secret } of await repository.sealedSecrets()) {
      let again: string | undefined;
      try {
        again = secrets.sealAgain(secret);
      } catch (err) {
        // One row in no sealed form must not keep the store from starting: its hook fails to
        // sign (and says why) as it did before. Scanning again would not mend it (only a new
        // secret does), so it does not keep the scan from being recorded either.
        log.warn({ err, hook: id }, 'hook secret not sealed again');
        skipped++;
        continue;
      }
      if (again === undefined) continue;
      await repository.replaceSecret(id, secret, again);
      moved++;
    }
    await record.record(name, clock(), { hooks: moved, skipped });
    log.info({ hooks: moved, skipped }, 'hook secrets sealed again under server.secretKey');
  });
}

/** Names the pair of keys without revealing either (both are 32 random or derived bytes). */
function fingerprint(replaced: Buffer, key: Buffer): string {
  return createHash('sha256')
    .update('appshelf webhook re-seal\0')
    .update(replaced)
    .update(key)
    .digest('hex')
    .slice(0, 16);
}
