/**
 * Builds the webhook machinery from config: the event bus the store emits on, the outbox that
 * turns events into deliveries, the worker that sends them over the guarded fetch, and the
 * service the API and the web manage hooks through.
 */
import type { Logger } from 'pino';
import {
  createOutboundFetch,
  OutboundPolicy,
  type SelfAddress,
} from '../../registry/client/index.js';
import type { Config } from '../../schemas/config.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
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
  const secrets = new SecretBox(
    deps.secrets.key('webhook-secrets'),
    deps.secrets.replacedKey('webhook-secrets'),
  );
  await sealAgain(repository, secrets, log);
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
 * file can sign with them too.
 */
async function sealAgain(
  repository: WebhookRepository,
  secrets: SecretBox,
  log: Logger,
): Promise<void> {
  let moved = 0;
  for (const { id, secret } of await repository.sealedSecrets()) {
    let again: string | undefined;
    try {
      again = secrets.sealAgain(secret);
    } catch (err) {
      // One row in no sealed form must not keep the store from starting: its hook fails to sign
      // (and says why) as it did before.
      log.warn({ err, hook: id }, 'hook secret not sealed again');
      continue;
    }
    if (again === undefined) continue;
    await repository.replaceSecret(id, secret, again);
    moved++;
  }
  if (moved > 0) log.info({ hooks: moved }, 'hook secrets sealed again under server.secretKey');
}
