/**
 * Turns each store event into delivery rows: one per hook of the event's namespace (and of its
 * app) that asked for the event, each with the body in the hook's format. The rows are written at
 * once (on SQLite in the emitter's transaction when it has one), so an event is never lost to a
 * restart; the delivery worker sends them.
 */
import { randomUUID } from 'node:crypto';
import type { StoreEvent, WebhookEventName, WebhookFormat } from '../../schemas/webhooks.js';
import { deliveryBody } from './payload.js';
import type { StoreEvents } from './store-events.js';
import type { WebhookRepository } from './webhook-repository.js';

export class WebhookOutbox {
  constructor(
    private readonly deps: {
      repository: WebhookRepository;
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

  /** Writes the event's deliveries; resolves to how many. */
  async enqueue(event: StoreEvent): Promise<number> {
    const meta = { id: randomUUID(), at: this.deps.clock(), publicUrl: this.deps.publicUrl };
    const written = await this.deps.repository.enqueue(event.namespace, event.app, (hooks) =>
      hooks
        .filter((h) => (JSON.parse(h.events) as WebhookEventName[]).includes(event.type))
        .map((hook) => ({
          webhookId: hook.id,
          eventId: meta.id,
          event: event.type,
          body: deliveryBody(event, hook.format as WebhookFormat, meta),
          createdAt: meta.at,
        })),
    );
    if (written > 0) this.deps.kick();
    return written;
  }
}
