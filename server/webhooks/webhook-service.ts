/**
 * Webhooks through the store API and the web: make, list, read and delete a namespace's or an
 * app's hooks, read their delivery history, redeliver one. Only the namespace's owners and the
 * admin may (Permissions `manage-webhooks`). A hook's URL must pass the outbound policy when it is
 * made (and again at every delivery: the worker's fetch is guarded); the secret is sealed
 * (secret-box.ts) and never served back.
 */
import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import { OutboundBlockedError, type OutboundPolicy } from '../../registry/client/index.js';
import type { NewWebhook, WebhookEventName, WebhookFormat } from '../../schemas/webhooks.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { principalName, type Principal } from '../auth/principal.js';
import type { Db } from '../db/open-database.js';
import { namespaces } from '../db/schema.js';
import { apps } from '../db/store-schema.js';
import { webhookDeliveries, webhooks } from '../db/webhook-schema.js';
import { StoreError } from '../errors.js';
import type { SecretBox } from './secret-box.js';

/** Whose hooks: a namespace's (`app` absent) or one app's. */
export interface HookScope {
  namespace: string;
  app?: string | undefined;
}

export interface Caller {
  principal: Principal;
  address?: string | undefined;
}

type HookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export interface AttemptEntry {
  at: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export function hookView(row: HookRow, namespace: string) {
  return {
    id: row.id,
    namespace,
    app: row.app,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventName[],
    format: row.format as WebhookFormat,
    createdBy: row.createdBy,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
export type HookView = ReturnType<typeof hookView>;

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    webhookId: row.webhookId,
    eventId: row.eventId,
    event: row.event,
    state: row.state,
    attempts: row.attempts,
    statusCode: row.statusCode,
    error: row.error,
    attemptLog: JSON.parse(row.attemptLog) as AttemptEntry[],
    redeliveryOf: row.redeliveryOf,
    createdAt: new Date(row.createdAt).toISOString(),
    lastAttemptAt: iso(row.lastAttemptAt),
    nextAttemptAt: row.state === 'pending' ? iso(row.nextAttemptAt) : null,
    deliveredAt: iso(row.deliveredAt),
  };
}
export type DeliveryView = ReturnType<typeof deliveryView>;

export const MAX_HOOKS_PER_SCOPE = 20;

export class WebhookService {
  constructor(
    private readonly deps: {
      db: Db;
      permissions: Permissions;
      secrets: SecretBox;
      policy: OutboundPolicy;
      audit: AuditLog;
      clock: () => number;
      /** Wakes the delivery worker (a redelivery is due at once). */
      kick: () => void;
    },
  ) {}

  /** May `p` manage the hooks of `namespace`? (For pages that show the section or not.) */
  async mayManage(p: Principal, namespace: string): Promise<boolean> {
    return this.deps.permissions.namespace(p, namespace, 'manage-webhooks');
  }

  async create(caller: Caller, scope: HookScope, input: NewWebhook): Promise<HookView> {
    const namespaceId = await this.authorize(caller.principal, scope);
    if (scope.app !== undefined) this.requireApp(scope.namespace, scope.app);
    await this.checkUrl(input.url);
    const existing = this.rowsOf(namespaceId, scope).length;
    if (existing >= MAX_HOOKS_PER_SCOPE)
      throw new StoreError(
        'conflict',
        `at most ${MAX_HOOKS_PER_SCOPE} webhooks per namespace or app`,
      );
    const row = this.deps.db.transaction((tx) => {
      const inserted = tx
        .insert(webhooks)
        .values({
          namespaceId,
          app: scope.app ?? null,
          url: input.url,
          events: JSON.stringify([...new Set(input.events)]),
          format: input.format,
          secret: this.deps.secrets.seal(input.secret),
          createdBy: principalName(caller.principal),
          createdAt: this.deps.clock(),
        })
        .returning()
        .get();
      this.record(caller, 'webhook.created', scope, { id: inserted.id, url: input.url });
      return inserted;
    });
    return hookView(row, scope.namespace);
  }

  async list(p: Principal, scope: HookScope): Promise<HookView[]> {
    const namespaceId = await this.authorize(p, scope);
    return this.rowsOf(namespaceId, scope).map((row) => hookView(row, scope.namespace));
  }

  async get(p: Principal, scope: HookScope, id: number): Promise<HookView> {
    return hookView(await this.hook(p, scope, id), scope.namespace);
  }

  async remove(caller: Caller, scope: HookScope, id: number): Promise<void> {
    const hook = await this.hook(caller.principal, scope, id);
    this.deps.db.transaction((tx) => {
      tx.delete(webhooks).where(eq(webhooks.id, hook.id)).run();
      this.record(caller, 'webhook.deleted', scope, { id: hook.id, url: hook.url });
    });
  }

  /** The hook's deliveries, newest first; `before`: the next page (ids below it). */
  async deliveries(
    p: Principal,
    scope: HookScope,
    id: number,
    limit = 50,
    before?: number,
  ): Promise<DeliveryView[]> {
    const hook = await this.hook(p, scope, id);
    return this.deps.db
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.webhookId, hook.id),
          before === undefined ? undefined : lt(webhookDeliveries.id, before),
        ),
      )
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit)
      .all()
      .map(deliveryView);
  }

  /** Sends a delivery's very body again, as a new delivery (with its own attempts and 24 h). */
  async redeliver(
    caller: Caller,
    scope: HookScope,
    id: number,
    deliveryId: number,
  ): Promise<DeliveryView> {
    const hook = await this.hook(caller.principal, scope, id);
    const original = this.deps.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, hook.id)))
      .get();
    if (!original) throw new StoreError('not_found', `no delivery ${deliveryId} of webhook ${id}`);
    const now = this.deps.clock();
    const row = this.deps.db.transaction((tx) => {
      const inserted = tx
        .insert(webhookDeliveries)
        .values({
          webhookId: hook.id,
          eventId: original.eventId,
          event: original.event,
          body: original.body,
          state: 'pending',
          redeliveryOf: original.id,
          createdAt: now,
          nextAttemptAt: now,
        })
        .returning()
        .get();
      this.record(caller, 'webhook.redelivered', scope, { id: hook.id, delivery: original.id });
      return inserted;
    });
    this.deps.kick();
    return deliveryView(row);
  }

  /** Refuses a URL the delivery worker would refuse: at an internal address not allowed by config. */
  private async checkUrl(url: string): Promise<void> {
    const target = new URL(url);
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    try {
      await this.deps.policy.check(target.hostname, port);
    } catch (err) {
      if (err instanceof OutboundBlockedError)
        throw new StoreError('invalid', `webhook URL refused: ${err.message}`, {
          code: 'blocked',
          host: err.host,
          reason: err.reason,
          ...(err.address !== undefined ? { address: err.address } : {}),
        });
      throw new StoreError('invalid', `webhook URL refused: ${target.hostname} does not resolve`, {
        code: 'unresolved',
        host: target.hostname,
      });
    }
  }

  /** The namespace's id, when `p` may manage its hooks and the scope exists; throws otherwise. */
  private async authorize(p: Principal, scope: HookScope): Promise<number> {
    const ns = this.deps.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, scope.namespace))
      .get();
    if (!ns) throw new StoreError('not_found', `no namespace "${scope.namespace}"`);
    if (p.kind === 'anonymous') throw new StoreError('unauthorized', 'sign in to manage webhooks');
    if (!(await this.mayManage(p, scope.namespace)))
      throw new StoreError(
        'forbidden',
        `only an owner of "${scope.namespace}" (or an admin, with a session or a push key) manages its webhooks`,
      );
    return ns.id;
  }

  /**
   * Hooks are made for an app that exists. They outlive it (they hear its `delete`, and stay
   * listable and deletable under its name), so only making one asks.
   */
  private requireApp(namespace: string, app: string): void {
    const found = this.deps.db
      .select({ id: apps.id })
      .from(apps)
      .where(and(eq(apps.namespace, namespace), eq(apps.name, app)))
      .get();
    if (!found) throw new StoreError('not_found', `no app ${namespace}/${app}`);
  }

  private rowsOf(namespaceId: number, scope: HookScope): HookRow[] {
    return this.deps.db
      .select()
      .from(webhooks)
      .where(
        and(
          eq(webhooks.namespaceId, namespaceId),
          scope.app === undefined ? isNull(webhooks.app) : eq(webhooks.app, scope.app),
        ),
      )
      .orderBy(webhooks.id)
      .all();
  }

  private async hook(p: Principal, scope: HookScope, id: number): Promise<HookRow> {
    const namespaceId = await this.authorize(p, scope);
    const row = this.rowsOf(namespaceId, scope).find((h) => h.id === id);
    if (!row) throw new StoreError('not_found', `no webhook ${id} here`);
    return row;
  }

  private record(
    caller: Caller,
    action: string,
    scope: HookScope,
    detail: Record<string, unknown>,
  ) {
    this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: scope.app ? `${scope.namespace}/${scope.app}` : scope.namespace,
      ...(caller.address !== undefined ? { address: caller.address } : {}),
      detail,
    });
  }
}
