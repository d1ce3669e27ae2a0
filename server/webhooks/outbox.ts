/**
 * Turns each store event into delivery rows: one per hook of the event's namespace (and of its
 * app) that asked for the event, each with the body in the hook's format. The rows are written at
 * once, in the emitter's transaction when it has one, so an event is never lost to a restart;
 * the delivery worker sends them.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, or } from 'drizzle-orm';
import type { StoreEvent, WebhookEventName, WebhookFormat } from '../../schemas/webhooks.js';
import type { Db } from '../db/open-database.js';
import { namespaces } from '../db/schema.js';
import { webhookDeliveries, webhooks } from '../db/webhook-schema.js';
import { deliveryBody } from './payload.js';
import type { StoreEvents } from './store-events.js';

export class WebhookOutbox {
  constructor(
    private readonly deps: {
      db: Db;
      clock: () => number;
      publicUrl?: string | undefined;
      /** Wakes the delivery worker. */
      kick: () => void;
    },
  ) {}

  attach(events: StoreEvents): this {
    events.on((event) => this.enqueue(event));
    return this;
  }

  /** Writes the event's deliveries; returns how many. */
  enqueue(event: StoreEvent): number {
    const hooks = this.deps.db
      .select({ id: webhooks.id, events: webhooks.events, format: webhooks.format })
      .from(webhooks)
      .innerJoin(namespaces, eq(namespaces.id, webhooks.namespaceId))
      .where(
        and(
          eq(namespaces.name, event.namespace),
          event.app === undefined
            ? isNull(webhooks.app)
            : or(isNull(webhooks.app), eq(webhooks.app, event.app)),
        ),
      )
      .all()
      .filter((h) => (JSON.parse(h.events) as WebhookEventName[]).includes(event.type));
    if (hooks.length === 0) return 0;
    const meta = { id: randomUUID(), at: this.deps.clock(), publicUrl: this.deps.publicUrl };
    this.deps.db.transaction((tx) => {
      for (const hook of hooks)
        tx.insert(webhookDeliveries)
          .values({
            webhookId: hook.id,
            eventId: meta.id,
            event: event.type,
            body: deliveryBody(event, hook.format as WebhookFormat, meta),
            state: 'pending',
            createdAt: meta.at,
            nextAttemptAt: meta.at,
          })
          .run();
    });
    this.deps.kick();
    return hooks.length;
  }
}
