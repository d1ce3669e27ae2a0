/**
 * The store's event bus: the places where something a hook can ask for happens (indexer, image
 * sync, app service, version index, install counts) emit here, and the webhook outbox listens.
 * Emitting is synchronous, so a listener that writes rows synchronously (SQLite) does so in the
 * emitter's transaction when it has one; a listener that answers a promise (PostgreSQL) writes
 * after it. A listener's error, thrown or rejected, is logged and never fails the emitter's request.
 */
import type { Logger } from 'pino';
import type { StoreEvent } from '../../schemas/webhooks.js';

export type StoreEventListener = (event: StoreEvent) => void | Promise<unknown>;

export class StoreEvents {
  private readonly listeners: StoreEventListener[] = [];

  constructor(private readonly log?: Logger) {}

  on(listener: StoreEventListener): void {
    this.listeners.push(listener);
  }

  emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      const failed = (err: unknown) =>
        this.log?.error(
          { err, event: event.type, namespace: event.namespace },
          'event not handled',
        );
      try {
        const handled = listener(event);
        if (handled instanceof Promise) handled.catch(failed);
      } catch (err) {
        failed(err);
      }
    }
  }
}
