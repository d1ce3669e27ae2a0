/**
 * The address policy for requests a server makes on a user's behalf (image sync): by default
 * nothing internal — loopback, link-local, private, unspecified, multicast, reserved — and never
 * the server's own listen address. `allowHosts` opts in to internal registries by name (any
 * port, or one), by address or by CIDR range. The check is made on the addresses a name
 * resolves to, right before connecting, and the connection then goes to the address that was
 * checked: a second DNS answer (rebinding) never gets a say.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  addressValue,
  canonicalHost,
  classifyAddress,
  formatAddress,
  inCidr,
  parseCidr,
  type AddressClass,
  type Cidr,
} from './outbound-address.js';

export type AllowEntry =
  { kind: 'host'; host: string; port?: number } | { kind: 'cidr'; range: Cidr; port?: number };

/**
 * Why a target was refused: the class of its address, `self` for the server's own address, or
 * `insecure-realm` for a plain-http token realm named by an https registry.
 */
export type BlockReason = AddressClass | 'self' | 'insecure-realm';

/** A listen address of this server (`0.0.0.0` or `::`: every address of the machine). */
export interface SelfAddress {
  host: string;
  port: number;
}

/** Every address a name resolves to. */
export type Resolve = (hostname: string) => Promise<string[]>;

export class OutboundBlockedError extends Error {
  override readonly name = 'OutboundBlockedError';
  constructor(
    /** `host:port` as requested. */
    readonly host: string,
    readonly reason: BlockReason,
    /** The refused address, when it came from DNS or was written as one. */
    readonly address: string | undefined,
    detail: string,
  ) {
    super(`${host} is not allowed: ${detail}`);
  }
}

/** Parses one `allowHosts` entry: `host`, `host:port`, an IP (`[v6]:port`), or a CIDR range. */
export function parseAllowEntry(text: string): AllowEntry {
  const entry = text.trim();
  const range = parseCidr(entry);
  if (range) return { kind: 'cidr', range };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry);
  const ipv6 = isIP(entry) === 6 ? entry : undefined;
  const host = ipv6 ?? m?.[1];
  const port = ipv6 ? undefined : m?.[2] === undefined ? undefined : Number(m[2]);
  const canonical = host === undefined ? undefined : canonicalHost(host);
  if (canonical === undefined || (port !== undefined && (port < 1 || port > 65535)))
    throw new Error(`expected host, host:port or a CIDR range, got "${text}"`);
  const withPort = port === undefined ? {} : { port };
  const value = addressValue(canonical);
  if (value !== undefined) {
    const bits = isIP(canonical) === 4 ? 32 : 128;
    return { kind: 'cidr', range: parseCidr(`${formatAddress(value)}/${bits}`)!, ...withPort };
  }
  return { kind: 'host', host: canonical, ...withPort };
}

export interface OutboundPolicyOptions {
  allowHosts?: readonly string[] | undefined;
  /** This server's listen addresses, asked at each check (they are known once it listens). */
  self?: (() => readonly SelfAddress[]) | undefined;
  resolve?: Resolve | undefined;
  /** The config key a refusal tells the operator to list the host in (default `sync.allowHosts`). */
  allowKey?: string | undefined;
}

const LOCALHOST = /(^|\.)localhost$/; // RFC 6761: these names are loopback, whatever DNS says

export class OutboundPolicy {
  private readonly allow: AllowEntry[];
  private readonly self: () => readonly SelfAddress[];
  private readonly resolve: Resolve;
  private readonly allowKey: string;

  constructor(options: OutboundPolicyOptions = {}) {
    this.allow = (options.allowHosts ?? []).map(parseAllowEntry);
    this.self = options.self ?? (() => []);
    this.resolve = options.resolve ?? resolveAll;
    this.allowKey = options.allowKey ?? 'sync.allowHosts';
  }

  /**
   * The address to connect to for `hostname:port`: every address the name resolves to must
   * pass. Throws OutboundBlockedError otherwise.
   */
  async check(hostname: string, port: number): Promise<string> {
    const name = canonicalHost(hostname) ?? hostname.toLowerCase();
    const shown = `${name.includes(':') ? `[${name}]` : name}:${port}`;
    const addresses = isIP(name)
      ? [name]
      : LOCALHOST.test(name)
        ? ['127.0.0.1', '::1']
        : await this.resolve(name);
    if (addresses.length === 0)
      throw new OutboundBlockedError(shown, 'reserved', undefined, 'no address');
    const byName = this.allow.some(
      (e) => e.kind === 'host' && e.host === name && (e.port === undefined || e.port === port),
    );
    for (const address of addresses) {
      const value = addressValue(address);
      if (value === undefined)
        throw new OutboundBlockedError(shown, 'reserved', address, `${address} is not an address`);
      const shownAddress = formatAddress(value);
      if (this.isSelf(value, port))
        throw new OutboundBlockedError(
          shown,
          'self',
          shownAddress,
          `${shownAddress}:${port} is this server's own listen address`,
        );
      const internal = classifyAddress(value);
      if (!internal || byName || this.allowsAddress(value, port)) continue;
      throw new OutboundBlockedError(
        shown,
        internal.kind,
        shownAddress,
        `${shownAddress} is a ${internal.kind} address (${internal.range}); list it in ${this.allowKey} to allow it`,
      );
    }
    return formatAddress(addressValue(addresses[0]!)!);
  }

  private allowsAddress(value: bigint, port: number): boolean {
    return this.allow.some(
      (e) =>
        e.kind === 'cidr' && inCidr(value, e.range) && (e.port === undefined || e.port === port),
    );
  }

  private isSelf(value: bigint, port: number): boolean {
    return this.self().some((own) => {
      if (own.port !== port) return false;
      const host = addressValue(own.host === '' ? '0.0.0.0' : own.host);
      if (host === undefined) return false;
      const anyAddress = classifyAddress(host)?.kind === 'unspecified';
      if (!anyAddress) return host === value || (isLoopback(host) && isLoopback(value));
      return isLoopback(value) || classifyAddress(value)?.kind === 'unspecified' || isLocal(value);
    });
  }
}

function isLoopback(value: bigint): boolean {
  return classifyAddress(value)?.kind === 'loopback';
}

/** Whether an address belongs to one of this machine's interfaces. */
function isLocal(value: bigint): boolean {
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => addressValue(i.address) === value),
  );
}

async function resolveAll(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
