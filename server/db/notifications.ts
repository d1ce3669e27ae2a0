/**
 * Messages between the processes of a store (issue 15 §2): PostgreSQL's LISTEN/NOTIFY, over one
 * listening connection per process (opened on the first `listen`), so that state a process keeps
 * for speed (a rate limit's refusals, a cache) learns what another process wrote. On SQLite there
 * is one process: `notify` reaches no one and `listen` never fires, which is what "nothing
 * changes" means there.
 *
 * A notification sent while the listening connection was down is lost: after it reconnects, every
 * handler is called with `undefined` ("you may have missed some; read again").
 */
import type pg from 'pg';
import { pg as pgModule } from '../../registry/metadata/pg-module.js';
import type { StoreDatabase } from './store-database.js';

export type NotificationHandler = (payload: string | undefined) => void;

export interface Notifications {
  /** Calls `handler` with each payload sent on `channel`, this process's own included. */
  listen(channel: string, handler: NotificationHandler): Promise<void>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const RECONNECT_MS = 1_000;

const opened = new WeakMap<StoreDatabase, Notifications>();

/** The process's one `Notifications` for `store` (closed by `close()`, not by the store). */
export function notificationsOf(store: StoreDatabase): Notifications {
  let found = opened.get(store);
  if (!found) {
    found = store.dialect === 'postgres' ? new PgNotifications(store.pool) : NO_ONE;
    opened.set(store, found);
  }
  return found;
}

const NO_ONE: Notifications = {
  listen: () => Promise.resolve(),
  notify: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

class PgNotifications implements Notifications {
  private readonly handlers = new Map<string, NotificationHandler[]>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async listen(channel: string, handler: NotificationHandler): Promise<void> {
    if (!CHANNEL.test(channel)) throw new Error(`not a notification channel: ${channel}`);
    const known = this.handlers.get(channel);
    if (known) known.push(handler);
    else this.handlers.set(channel, [handler]);
    const client = await this.connect();
    if (!known) await client.query(`LISTEN "${channel}"`);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      // The pool's own settings (address, credentials, timeouts), on a connection of its own:
      // a pooled one would be handed to queries, and LISTEN belongs to the session.
      const client = new (pgModule().Client)(this.pool.options);
      client.on('notification', (message) => {
        for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload);
      });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
        for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel}"`);
      } catch (err) {
        await client.end().catch(() => {});
        throw err;
      } finally {
        this.connecting = undefined;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        throw new Error('notifications closed');
      }
      this.client = client;
      return client;
    })();
    return this.connecting;
  }

  /** The listening connection died: reconnect in a while, then tell every handler to re-read. */
  private lost(client: pg.Client): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.end().catch(() => {});
    const again = (): void => {
      this.retry = undefined;
      if (this.closed) return;
      this.connect().then(
        () => {
          for (const handlers of this.handlers.values()) for (const h of handlers) h(undefined);
        },
        () => {
          this.retry = setTimeout(again, RECONNECT_MS).unref();
        },
      );
    };
    this.retry = setTimeout(again, RECONNECT_MS).unref();
  }
}
