/**
 * The names under which image references point at this store: the public URL's host, the
 * listen address (and the loopback names of it), and the Host a publish request came in on.
 * A component whose image is on one of them is copied inside the store, never fetched over
 * the network. The listen addresses also go to the outbound policy, which refuses them under
 * any other name.
 */
import { canonicalHost, type SelfAddress } from '../../../registry/client/index.js';

export class OwnHosts {
  private readonly names = new Set<string>();
  private readonly listen: SelfAddress[] = [];

  constructor(publicUrl: string | undefined, listen: string) {
    if (publicUrl) {
      const url = new URL(publicUrl);
      this.add(url.host);
      if (url.port === '') this.add(`${url.host}:${url.protocol === 'https:' ? 443 : 80}`);
    }
    const colon = listen.lastIndexOf(':');
    const port = Number(listen.slice(colon + 1));
    if (port > 0) this.listening(listen.slice(0, colon), port);
  }

  /** Where the server listens, once it does (`0.0.0.0`, `::` or empty: every address). */
  listening(address: string, port: number): void {
    const host = address.replace(/^\[|\]$/g, '');
    this.listen.push({ host, port });
    const any = host === '' || host === '0.0.0.0' || host === '::';
    const loopback = any || host === '::1' || host.startsWith('127.');
    if (!any) this.add(`${host.includes(':') ? `[${host}]` : host}:${port}`);
    if (loopback)
      for (const name of ['localhost', '127.0.0.1', '[::1]']) this.add(`${name}:${port}`);
  }

  /** The listen addresses, for the outbound policy's `self`. */
  addresses(): readonly SelfAddress[] {
    return this.listen;
  }

  /** Whether `host` (`host[:port]` as a reference names it) is this store; `also`: request hosts. */
  has(host: string, also: readonly string[] = []): boolean {
    const key = hostKey(host);
    if (key === undefined) return false;
    return this.names.has(key) || also.some((h) => hostKey(h) === key);
  }

  private add(host: string): void {
    const key = hostKey(host);
    if (key !== undefined) this.names.add(key);
  }
}

/** `host[:port]` in one spelling: canonical host (`0x7f.1` → `127.0.0.1`), IPv6 in brackets. */
export function hostKey(host: string): string | undefined {
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d{1,5}))?$/.exec(host.trim());
  const name = m?.[1] === undefined ? undefined : canonicalHost(m[1]);
  if (name === undefined) return undefined;
  const shown = name.includes(':') ? `[${name}]` : name;
  return m?.[2] === undefined ? shown : `${shown}:${Number(m[2])}`;
}
