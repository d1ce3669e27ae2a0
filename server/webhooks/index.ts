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
import { DeliveryWorker } from './delivery-worker.js';
import { WebhookOutbox } from './outbox.js';
import { SecretBox } from './secret-box.js';
import { StoreEvents } from './store-events.js';
import { webhookRepository } from './webhook-repository.js';
import { WebhookService } from './webhook-service.js';

export interface Webhooks {
  events: StoreEvents;
  service: WebhookService;
  close(): Promise<void>;
}

export function createWebhooks(deps: {
  store: StoreDatabase;
  config: Config;
  dataDir: string;
  permissions: Permissions;
  audit: AuditLog;
  clock: () => number;
  log: Logger;
  /** This store's listen addresses: a hook never posts to the store itself. */
  self: () => readonly SelfAddress[];
}): Webhooks {
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
  const secrets = new SecretBox(deps.dataDir);
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
