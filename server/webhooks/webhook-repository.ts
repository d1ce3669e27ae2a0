/**
 * Where hooks and their deliveries are kept: one interface, one implementation per engine
 * (docs/decisions/0003). The outbox writes an event's deliveries in one unit of work; workers of
 * every process claim due deliveries (`claimDue`) so that each is sent by one of them at a time:
 * on SQLite by a conditional update per row (the due time moves on: a lease), on PostgreSQL by
 * `FOR UPDATE SKIP LOCKED`, so workers polling together take disjoint batches.
 */
import type { StoreDatabase } from '../db/store-database.js';
import type { webhookDeliveries, webhooks } from '../db/webhook-schema.js';
import { PgWebhookRepository } from './webhooks-pg.js';
import { SqliteWebhookRepository } from './webhooks-sqlite.js';

export type HookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewHook = Omit<HookRow, 'id'>;

/** A delivery to write: pending, due at `createdAt`. */
export interface NewDelivery {
  webhookId: number;
  eventId: string;
  event: string;
  body: string;
  createdAt: number;
  redeliveryOf?: number | undefined;
}

/** What an attempt leaves on its delivery. */
export interface AttemptResult {
  state: DeliveryRow['state'];
  attempts: number;
  statusCode: number | null;
  error: string | null;
  attemptLog: string;
  lastAttemptAt: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

export interface WebhookRepository {
  /**
   * The hooks of `namespace` that hear events of `app` (the namespace's own hooks, and with `app`
   * the app's), with their event lists as stored; `deliveriesFor` picks and builds what to write,
   * in one unit of work. Returns how many deliveries were written.
   */
  enqueue(
    namespace: string,
    app: string | undefined,
    deliveriesFor: (hooks: Pick<HookRow, 'id' | 'events' | 'format'>[]) => NewDelivery[],
  ): Promise<number>;
  /** Takes up to `limit` deliveries due at `now`, moving their due time to `leaseUntil`; their ids. */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<number[]>;
  /** When the first pending delivery is due; undefined when none is. */
  nextDue(): Promise<number | undefined>;
  /** Deletes finished deliveries made before `before`; how many. */
  prune(before: number): Promise<number>;
  /** A delivery with its hook; undefined when either is gone. */
  deliveryWithHook(id: number): Promise<{ delivery: DeliveryRow; hook: HookRow } | undefined>;
  /** A pending delivery due again at `at` (an attempt cut short by shutdown). */
  release(id: number, at: number): Promise<void>;
  recordAttempt(id: number, result: AttemptResult): Promise<void>;

  namespaceId(namespace: string): Promise<number | undefined>;
  appExists(namespace: string, app: string): Promise<boolean>;
  /** The hooks of the namespace itself (`app` undefined) or of one app, by id. */
  hooksOf(namespaceId: number, app: string | undefined): Promise<HookRow[]>;
  /** Makes a hook unless its scope has `max` already (then undefined): counted and written in one unit. */
  createHook(hook: NewHook, max: number): Promise<HookRow | undefined>;
  deleteHook(id: number): Promise<void>;
  /** Every hook's id and stored (sealed) secret, for sealing them again under a new key. */
  sealedSecrets(): Promise<{ id: number; secret: string }[]>;
  /** Sets a hook's stored secret, unless another process changed it first from `was`. */
  replaceSecret(id: number, was: string, secret: string): Promise<void>;
  /** The hook's deliveries, newest first, ids below `before` when given. */
  deliveriesOf(hookId: number, limit: number, before?: number): Promise<DeliveryRow[]>;
  delivery(hookId: number, id: number): Promise<DeliveryRow | undefined>;
  addDelivery(delivery: NewDelivery): Promise<DeliveryRow>;
}

export function webhookRepository(store: StoreDatabase): WebhookRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteWebhookRepository(store.db);
    case 'postgres':
      return new PgWebhookRepository(store.db);
  }
}
