/**
 * Webhooks and their outbox in the PostgreSQL dialect: the same tables, columns and indexes as
 * webhook-schema.ts (the SQLite dialect, which documents each column), checked by
 * test/db/schema-parity.test.ts. Types as in schema.pg.ts.
 */
import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { id, millis } from '../../registry/metadata/pg-types.js';
import { namespaces } from './schema.pg.js';

export const webhooks = pgTable(
  'webhooks',
  {
    id: id(),
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    app: text('app'),
    url: text('url').notNull(),
    events: text('events').notNull(),
    format: text('format', { enum: ['default', 'cloudevents'] }).notNull(),
    secret: text('secret').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [index('webhooks_namespace').on(t.namespaceId, t.app)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    event: text('event').notNull(),
    body: text('body').notNull(),
    state: text('state', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    statusCode: integer('status_code'),
    error: text('error'),
    attemptLog: text('attempt_log').notNull().default('[]'),
    redeliveryOf: integer('redelivery_of'),
    createdAt: millis('created_at').notNull(),
    nextAttemptAt: millis('next_attempt_at'),
    lastAttemptAt: millis('last_attempt_at'),
    deliveredAt: millis('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.state, t.nextAttemptAt),
    index('webhook_deliveries_hook').on(t.webhookId, t.id),
  ],
);
