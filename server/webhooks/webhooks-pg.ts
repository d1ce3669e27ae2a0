/**
 * Hooks and deliveries on PostgreSQL. Workers of every process claim due deliveries in one
 * statement, `FOR UPDATE SKIP LOCKED`: rows another worker is claiming are passed over, not
 * waited for, and a claimed row's due time moves past the attempt's timeout (the lease), so each
 * delivery is sent by one worker at a time cluster-wide and taken again only once its lease ends.
 * The per-scope cap on hooks is counted and written under an advisory lock on the namespace.
 */
import { and, count, desc, eq, isNull, lt, min, ne, or, sql } from 'drizzle-orm';
import { namespaces } from '../db/schema.pg.js';
import type { PgDb } from '../db/store-database.js';
import { apps } from '../db/store-schema.pg.js';
import { webhookDeliveries, webhooks } from '../db/webhook-schema.pg.js';
import type {
  AttemptResult,
  DeliveryRow,
  HookRow,
  NewDelivery,
  NewHook,
  WebhookRepository,
} from './webhook-repository.js';

/** Any fixed number: with a namespace's id, the lock its hook cap is counted under. */
const HOOK_CAP_LOCK = 0x686f6f6b; // 'hook'

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

export class PgWebhookRepository implements WebhookRepository {
  constructor(private readonly db: PgDb) {}

  async enqueue(
    namespace: string,
    app: string | undefined,
    deliveriesFor: (hooks: Pick<HookRow, 'id' | 'events' | 'format'>[]) => NewDelivery[],
  ): Promise<number> {
    const hooks = await this.db
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
      );
    const deliveries = deliveriesFor(hooks);
    // One statement: the event's deliveries are written all or none.
    if (deliveries.length > 0)
      await this.db.insert(webhookDeliveries).values(deliveries.map(pending));
    return deliveries.length;
  }

  async claimDue(now: number, leaseUntil: number, limit: number): Promise<number[]> {
    const result = await this.db.execute<{ id: number }>(sql`
      update webhook_deliveries set next_attempt_at = ${leaseUntil}
       where id in (select id from webhook_deliveries
                     where state = 'pending' and next_attempt_at <= ${now}
                     order by next_attempt_at limit ${limit}
                     for update skip locked)
      returning id`);
    return result.rows.map((r) => Number(r.id));
  }

  async nextDue(): Promise<number | undefined> {
    const [row] = await this.db
      .select({ at: min(webhookDeliveries.nextAttemptAt) })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.state, 'pending'));
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  async prune(before: number): Promise<number> {
    const removed = await this.db
      .delete(webhookDeliveries)
      .where(and(ne(webhookDeliveries.state, 'pending'), lt(webhookDeliveries.createdAt, before)))
      .returning({ id: webhookDeliveries.id });
    return removed.length;
  }

  async deliveryWithHook(
    id: number,
  ): Promise<{ delivery: DeliveryRow; hook: HookRow } | undefined> {
    const [row] = await this.db
      .select({ delivery: webhookDeliveries, hook: webhooks })
      .from(webhookDeliveries)
      .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
      .where(eq(webhookDeliveries.id, id));
    return row;
  }

  async release(id: number, at: number): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: at })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.state, 'pending')));
  }

  async recordAttempt(id: number, result: AttemptResult): Promise<void> {
    await this.db.update(webhookDeliveries).set(result).where(eq(webhookDeliveries.id, id));
  }

  async namespaceId(namespace: string): Promise<number | undefined> {
    const [row] = await this.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, namespace));
    return row?.id;
  }

  async appExists(namespace: string, app: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: apps.id })
      .from(apps)
      .where(and(eq(apps.namespace, namespace), eq(apps.name, app)))
      .limit(1);
    return row !== undefined;
  }

  async hooksOf(namespaceId: number, app: string | undefined): Promise<HookRow[]> {
    return this.db.select().from(webhooks).where(scopeOf(namespaceId, app)).orderBy(webhooks.id);
  }

  async createHook(hook: NewHook, max: number): Promise<HookRow | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${HOOK_CAP_LOCK}, ${hook.namespaceId})`);
      const [existing] = await tx
        .select({ n: count() })
        .from(webhooks)
        .where(scopeOf(hook.namespaceId, hook.app ?? undefined));
      if ((existing?.n ?? 0) >= max) return undefined;
      const [inserted] = await tx.insert(webhooks).values(hook).returning();
      return inserted;
    });
  }

  async deleteHook(id: number): Promise<void> {
    await this.db.delete(webhooks).where(eq(webhooks.id, id));
  }

  sealedSecrets(): Promise<{ id: number; secret: string }[]> {
    return this.db.select({ id: webhooks.id, secret: webhooks.secret }).from(webhooks);
  }

  async replaceSecret(id: number, was: string, secret: string): Promise<void> {
    await this.db
      .update(webhooks)
      .set({ secret })
      .where(and(eq(webhooks.id, id), eq(webhooks.secret, was)));
  }

  async deliveriesOf(hookId: number, limit: number, before?: number): Promise<DeliveryRow[]> {
    return this.db
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.webhookId, hookId),
          before === undefined ? undefined : lt(webhookDeliveries.id, before),
        ),
      )
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit);
  }

  async delivery(hookId: number, id: number): Promise<DeliveryRow | undefined> {
    const [row] = await this.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.webhookId, hookId)));
    return row;
  }

  async addDelivery(delivery: NewDelivery): Promise<DeliveryRow> {
    const [row] = await this.db.insert(webhookDeliveries).values(pending(delivery)).returning();
    return row!;
  }
}

function scopeOf(namespaceId: number, app: string | undefined) {
  return and(
    eq(webhooks.namespaceId, namespaceId),
    app === undefined ? isNull(webhooks.app) : eq(webhooks.app, app),
  );
}
