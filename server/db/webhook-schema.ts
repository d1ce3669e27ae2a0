/**
 * Webhooks and their outbox. A hook belongs to a namespace (all its apps) or to one app of it
 * (`app` set); an event that matches a hook becomes one `webhook_deliveries` row at once, in the
 * writer's own transaction when it has one, so a restart loses no delivery. The delivery worker
 * (server/webhooks/delivery-worker.ts) sends due rows and writes each attempt back.
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { namespaces } from './schema.js';

export const webhooks = sqliteTable(
  'webhooks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    /** The app's name for an app's hook; null for a namespace's hook. */
    app: text('app'),
    url: text('url').notNull(),
    /** JSON array of event names. */
    events: text('events').notNull(),
    format: text('format', { enum: ['default', 'cloudevents'] }).notNull(),
    /** The signing secret, encrypted with the server's webhook key (server/webhooks/secret-box.ts). */
    secret: text('secret').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhooks_namespace').on(t.namespaceId, t.app)],
);

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** The event's id (the same for every hook it went to, and for a redelivery). */
    eventId: text('event_id').notNull(),
    event: text('event').notNull(),
    /** The exact body sent (and signed), in the hook's format. */
    body: text('body').notNull(),
    state: text('state', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** The last attempt's HTTP status (null: no response) and error. */
    statusCode: integer('status_code'),
    error: text('error'),
    /** JSON array of every attempt: {at, statusCode?, error?, durationMs}. */
    attemptLog: text('attempt_log').notNull().default('[]'),
    /** The delivery this one repeats (the redeliver button), if any. */
    redeliveryOf: integer('redelivery_of'),
    createdAt: integer('created_at').notNull(),
    /** When a pending delivery is due (a worker taking it moves this on: its lease). */
    nextAttemptAt: integer('next_attempt_at'),
    lastAttemptAt: integer('last_attempt_at'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.state, t.nextAttemptAt),
    index('webhook_deliveries_hook').on(t.webhookId, t.id),
  ],
);
