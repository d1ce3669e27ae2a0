/** A store as the user names it (`store.example.com`, `127.0.0.1:8080`, `http://host:port`). */
// transport.ts, not the client's index: the light commands never load the rest of the client.
import { baseUrlOf } from '../registry/client/transport.js';
import { usage } from './errors.js';

export interface StoreAddress {
  /** host[:port], as image references and the settings file name it. */
  host: string;
  /** Origin of the store's HTTP API and registry. */
  url: string;
}

/** https unless the address says http or is a loopback address (as registry clients do). */
export function parseStoreAddress(text: string): StoreAddress {
  const trimmed = text.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    if (!trimmed || /\s/.test(trimmed)) throw new Error('empty');
    url = baseUrlOf(trimmed);
    const given = /^https?:\/\//i.test(trimmed)
      ? new URL(trimmed)
      : new URL(`${url.protocol}//${trimmed}`);
    if (given.pathname !== '/' || given.search || given.username) throw new Error('path');
  } catch {
    throw usage(
      `"${text}" is not a store address`,
      'give host[:port] or http(s)://host[:port], with no path',
    );
  }
  return { host: url.host, url: url.origin };
}
