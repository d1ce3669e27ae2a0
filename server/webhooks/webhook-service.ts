/**
 * Webhooks through the store API and the web: make, list, read and delete a namespace's or an
 * app's hooks, read their delivery history, redeliver one. Only the namespace's owners and the
 * admin may (Permissions `manage-webhooks`). A hook's URL must pass the outbound policy when it is
 * made (and again at every delivery: the worker's fetch is guarded); the secret is sealed
 * (secret-box.ts) and never served back.
 */
import { OutboundBlockedError, type OutboundPolicy } from '../../registry/client/index.js';
import type { NewWebhook, WebhookEventName, WebhookFormat } from '../../schemas/webhooks.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { principalName, type Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { DeliveryRow, HookRow, WebhookRepository } from './webhook-repository.js';

/** Whose hooks: a namespace's (`app` absent) or one app's. */
export interface HookScope {
  namespace: string;
  app?: string | undefined;
}

export interface Caller {
  principal: Principal;
  address?: string | undefined;
}

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
      repository: WebhookRepository;
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
    const { repository } = this.deps;
    const namespaceId = await this.authorize(caller.principal, scope);
    if (scope.app !== undefined) await this.requireApp(scope.namespace, scope.app);
    await this.checkUrl(input.url);
    const row = await repository.createHook(
      {
        namespaceId,
        app: scope.app ?? null,
        url: input.url,
        events: JSON.stringify([...new Set(input.events)]),
        format: input.format,
        secret: this.deps.secrets.seal(input.secret),
        createdBy: principalName(caller.principal),
        createdAt: this.deps.clock(),
      },
      MAX_HOOKS_PER_SCOPE,
    );
    if (!row)
      throw new StoreError(
        'conflict',
        `at most ${MAX_HOOKS_PER_SCOPE} webhooks per namespace or app`,
      );
    await this.record(caller, 'webhook.created', scope, { id: row.id, url: input.url });
    return hookView(row, scope.namespace);
  }

  async list(p: Principal, scope: HookScope): Promise<HookView[]> {
    const namespaceId = await this.authorize(p, scope);
    const rows = await this.deps.repository.hooksOf(namespaceId, scope.app);
    return rows.map((row) => hookView(row, scope.namespace));
  }

  async get(p: Principal, scope: HookScope, id: number): Promise<HookView> {
    return hookView(await this.hook(p, scope, id), scope.namespace);
  }

  async remove(caller: Caller, scope: HookScope, id: number): Promise<void> {
    const hook = await this.hook(caller.principal, scope, id);
    await this.deps.repository.deleteHook(hook.id);
    await this.record(caller, 'webhook.deleted', scope, { id: hook.id, url: hook.url });
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
    const rows = await this.deps.repository.deliveriesOf(hook.id, limit, before);
    return rows.map(deliveryView);
  }

  /** Sends a delivery's very body again, as a new delivery (with its own attempts and 24 h). */
  async redeliver(
    caller: Caller,
    scope: HookScope,
    id: number,
    deliveryId: number,
  ): Promise<DeliveryView> {
    const { repository } = this.deps;
    const hook = await this.hook(caller.principal, scope, id);
    const original = await repository.delivery(hook.id, deliveryId);
    if (!original) throw new StoreError('not_found', `no delivery ${deliveryId} of webhook ${id}`);
    const row = await repository.addDelivery({
      webhookId: hook.id,
      eventId: original.eventId,
      event: original.event,
      body: original.body,
      redeliveryOf: original.id,
      createdAt: this.deps.clock(),
    });
    await this.record(caller, 'webhook.redelivered', scope, { id: hook.id, delivery: original.id });
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
    const namespaceId = await this.deps.repository.namespaceId(scope.namespace);
    if (namespaceId === undefined)
      throw new StoreError('not_found', `no namespace "${scope.namespace}"`);
    if (p.kind === 'anonymous') throw new StoreError('unauthorized', 'sign in to manage webhooks');
    if (!(await this.mayManage(p, scope.namespace)))
      throw new StoreError(
        'forbidden',
        `only an owner of "${scope.namespace}" (or an admin, with a session or a push key) manages its webhooks`,
      );
    return namespaceId;
  }

  /**
   * Hooks are made for an app that exists. They outlive it (they hear its `delete`, and stay
   * listable and deletable under its name), so only making one asks.
   */
  private async requireApp(namespace: string, app: string): Promise<void> {
    if (!(await this.deps.repository.appExists(namespace, app)))
      throw new StoreError('not_found', `no app ${namespace}/${app}`);
  }

  private async hook(p: Principal, scope: HookScope, id: number): Promise<HookRow> {
    const namespaceId = await this.authorize(p, scope);
    const rows = await this.deps.repository.hooksOf(namespaceId, scope.app);
    const row = rows.find((h) => h.id === id);
    if (!row) throw new StoreError('not_found', `no webhook ${id} here`);
    return row;
  }

  private async record(
    caller: Caller,
    action: string,
    scope: HookScope,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: scope.app ? `${scope.namespace}/${scope.app}` : scope.namespace,
      ...(caller.address !== undefined ? { address: caller.address } : {}),
      detail,
    });
  }
}
