/**
 * Hooks and deliveries on SQLite: the queries as before the port, synchronous behind settled
 * promises, so the outbox still writes an event's deliveries inside the emitter's transaction.
 * A worker takes a delivery by moving its due time past the attempt's timeout (a lease), in one
 * conditional update per row: several processes over one file never send a delivery twice at once.
 */
import { and, asc, count, desc, eq, isNull, lt, lte, min, ne, or } from 'drizzle-orm';
import { namespaces } from '../db/schema.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { apps } from '../db/store-schema.js';
import { webhookDeliveries, webhooks } from '../db/webhook-schema.js';
import type {
  AttemptResult,
  DeliveryRow,
  HookRow,
  NewDelivery,
  NewHook,
  WebhookRepository,
} from './webhook-repository.js';

/** The row of a new delivery: pending, due at once (only the fields a delivery is made of). */
const pending = (d: NewDelivery) => ({
  webhookId: d.webhookId,
  eventId: d.eventId,
  event: d.event,
  body: d.body,
  redeliveryOf: d.redeliveryOf ?? null,
  createdAt: d.createdAt,
  state: 'pending' as const,
  nextAttemptAt: d.createdAt,
});

export class SqliteWebhookRepository implements WebhookRepository {
  constructor(private readonly db: SqliteDb) {}

  enqueue(
    namespace: string,
    app: string | undefined,
    deliveriesFor: (hooks: Pick<HookRow, 'id' | 'events' | 'format'>[]) => NewDelivery[],
  ): Promise<number> {
    return settle(() =>
      this.db.transaction((tx) => {
        const hooks = tx
          .select({ id: webhooks.id, events: webhooks.events, format: webhooks.format })
          .from(webhooks)
          .innerJoin(namespaces, eq(namespaces.id, webhooks.namespaceId))
          .where(
            and(
              eq(namespaces.name, namespace),
              app === undefined
                ? isNull(webhooks.app)
                : or(isNull(webhooks.app), eq(webhooks.app, app)),
            ),
          )
          .all();
        const deliveries = deliveriesFor(hooks);
        for (const d of deliveries) tx.insert(webhookDeliveries).values(pending(d)).run();
        return deliveries.length;
      }),
    );
  }

  claimDue(now: number, leaseUntil: number, limit: number): Promise<number[]> {
    return settle(() => {
      const due = this.db
        .select({ id: webhookDeliveries.id, at: webhookDeliveries.nextAttemptAt })
        .from(webhookDeliveries)
        .where(
          and(eq(webhookDeliveries.state, 'pending'), lte(webhookDeliveries.nextAttemptAt, now)),
        )
        .orderBy(asc(webhookDeliveries.nextAttemptAt))
        .limit(limit)
        .all();
      return due
        .filter(
          (d) =>
            this.db
              .update(webhookDeliveries)
              .set({ nextAttemptAt: leaseUntil })
              .where(
                and(
                  eq(webhookDeliveries.id, d.id),
                  eq(webhookDeliveries.state, 'pending'),
                  eq(webhookDeliveries.nextAttemptAt, d.at!),
                ),
              )
              .run().changes === 1,
        )
        .map((d) => d.id);
    });
  }

  nextDue(): Promise<number | undefined> {
    return settle(
      () =>
        this.db
          .select({ at: min(webhookDeliveries.nextAttemptAt) })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.state, 'pending'))
          .get()?.at ?? undefined,
    );
  }

  prune(before: number): Promise<number> {
    return settle(
      () =>
        this.db
          .delete(webhookDeliveries)
          .where(
            and(ne(webhookDeliveries.state, 'pending'), lt(webhookDeliveries.createdAt, before)),
          )
          .run().changes,
    );
  }

  deliveryWithHook(id: number): Promise<{ delivery: DeliveryRow; hook: HookRow } | undefined> {
    return settle(() =>
      this.db
        .select({ delivery: webhookDeliveries, hook: webhooks })
        .from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .where(eq(webhookDeliveries.id, id))
        .get(),
    );
  }

  release(id: number, at: number): Promise<void> {
    return settle(() => {
      this.db
        .update(webhookDeliveries)
        .set({ nextAttemptAt: at })
        .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.state, 'pending')))
        .run();
    });
  }

  recordAttempt(id: number, result: AttemptResult): Promise<void> {
    return settle(() => {
      this.db.update(webhookDeliveries).set(result).where(eq(webhookDeliveries.id, id)).run();
    });
  }

  namespaceId(namespace: string): Promise<number | undefined> {
    return settle(
      () =>
        this.db
          .select({ id: namespaces.id })
          .from(namespaces)
          .where(eq(namespaces.name, namespace))
          .get()?.id,
    );
  }

  appExists(namespace: string, app: string): Promise<boolean> {
    return settle(
      () =>
        !!this.db
          .select({ id: apps.id })
          .from(apps)
          .where(and(eq(apps.namespace, namespace), eq(apps.name, app)))
          .get(),
    );
  }

  hooksOf(namespaceId: number, app: string | undefined): Promise<HookRow[]> {
    return settle(() =>
      this.db.select().from(webhooks).where(scopeOf(namespaceId, app)).orderBy(webhooks.id).all(),
    );
  }

  createHook(hook: NewHook, max: number): Promise<HookRow | undefined> {
    return settle(() =>
      this.db.transaction((tx) => {
        const existing =
          tx
            .select({ n: count() })
            .from(webhooks)
            .where(scopeOf(hook.namespaceId, hook.app ?? undefined))
            .get()?.n ?? 0;
        if (existing >= max) return undefined;
        return tx.insert(webhooks).values(hook).returning().get();
      }),
    );
  }

  deleteHook(id: number): Promise<void> {
    return settle(() => {
      this.db.delete(webhooks).where(eq(webhooks.id, id)).run();
    });
  }

  sealedSecrets(): Promise<{ id: number; secret: string }[]> {
    return settle(() =>
      this.db.select({ id: webhooks.id, secret: webhooks.secret }).from(webhooks).all(),
    );
  }

  replaceSecret(id: number, was: string, secret: string): Promise<void> {
    return settle(() => {
      this.db
        .update(webhooks)
        .set({ secret })
        .where(and(eq(webhooks.id, id), eq(webhooks.secret, was)))
        .run();
    });
  }

  deliveriesOf(hookId: number, limit: number, before?: number): Promise<DeliveryRow[]> {
    return settle(() =>
      this.db
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.webhookId, hookId),
            before === undefined ? undefined : lt(webhookDeliveries.id, before),
          ),
        )
        .orderBy(desc(webhookDeliveries.id))
        .limit(limit)
        .all(),
    );
  }

  delivery(hookId: number, id: number): Promise<DeliveryRow | undefined> {
    return settle(() =>
      this.db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.webhookId, hookId)))
        .get(),
    );
  }

  addDelivery(delivery: NewDelivery): Promise<DeliveryRow> {
    return settle(() =>
      this.db.insert(webhookDeliveries).values(pending(delivery)).returning().get(),
    );
  }
}

function scopeOf(namespaceId: number, app: string | undefined) {
  return and(
    eq(webhooks.namespaceId, namespaceId),
    app === undefined ? isNull(webhooks.app) : eq(webhooks.app, app),
  );
}
