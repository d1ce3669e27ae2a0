/**
 * IP addresses as the outbound guard sees them: host spellings made canonical (the WHATWG URL
 * parser turns `127.1`, `2130706433`, `0x7f.1` and `0177.0.0.1` into `127.0.0.1`, as browsers
 * and our own URL handling do), addresses as 128-bit numbers (IPv4 as IPv4-mapped IPv6, so
 * `::ffff:127.0.0.1` is `127.0.0.1`), CIDR ranges, and the ranges a server must not reach for
 * a user: loopback, link-local, private, unspecified, multicast and reserved.
 */
import { isIP } from 'node:net';

/** Why an address is internal; undefined for an address on the public internet. */
export type AddressClass =
  'loopback' | 'link-local' | 'private' | 'unspecified' | 'multicast' | 'reserved';

export interface Cidr {
  /** The range as written canonically (`10.0.0.0/8`, `fc00::/7`). */
  text: string;
  network: bigint;
  /** Prefix length over 128 bits (an IPv4 /8 is /104 here). */
  bits: number;
}

const MAPPED = 0xffffn << 32n; // ::ffff:0:0/96
const V4_MASK = 0xffffffffn;

/**
 * The canonical host of `host` as a URL would name it: lower case, no trailing dot, no IPv6
 * brackets, IPv4 in dotted decimal. Undefined when it is no valid URL host.
 */
export function canonicalHost(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host : host.replace(/\.$/, '');
  if (bare === '' || /[/?#@\s]/.test(bare)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(
      `http://${bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare}/`,
    ).hostname;
  } catch {
    return undefined;
  }
  return hostname.replace(/^\[|\]$/g, '');
}

/** An IPv4 or IPv6 literal (brackets and a zone allowed) as a 128-bit number; else undefined. */
export function addressValue(ip: string): bigint | undefined {
  const text = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(text);
  if (family === 4) return MAPPED | v4Value(text);
  if (family !== 6) return undefined;
  // A dotted tail (`::ffff:127.0.0.1`) becomes its two 16-bit words.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let hex = text;
  if (dotted?.[1] !== undefined) {
    const v4 = v4Value(dotted[1]);
    hex = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left = '', right] = hex.split('::');
  const words = (part: string): bigint[] =>
    part === '' ? [] : part.split(':').map((w) => BigInt(`0x${w}`));
  const head = words(left);
  const tail = right === undefined ? [] : words(right);
  const all = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  return all.reduce((acc, w) => (acc << 16n) | w, 0n);
}

function v4Value(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** The address as people write it: dotted IPv4 for IPv4(-mapped) addresses, compressed IPv6 else. */
export function formatAddress(value: bigint): string {
  if (value >> 32n === 0xffffn) {
    const v4 = value & V4_MASK;
    return [24n, 16n, 8n, 0n].map((s) => String((v4 >> s) & 0xffn)).join('.');
  }
  const words = Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16),
  );
  return new URL(`http://[${words.join(':')}]/`).hostname.replace(/^\[|\]$/g, '');
}

/** Parses `a.b.c.d/n` or `x::/n`; undefined when it is no CIDR range. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return undefined;
  const length = Number(prefix);
  if (length > (family === 4 ? 32 : 128)) return undefined;
  const bits = family === 4 ? 96 + length : length;
  const value = addressValue(address)!;
  const network = bits === 0 ? 0n : (value >> BigInt(128 - bits)) << BigInt(128 - bits);
  return { text: `${formatAddress(network)}/${length}`, network, bits };
}

export function inCidr(value: bigint, range: Cidr): boolean {
  if (range.bits === 0) return true;
  const shift = BigInt(128 - range.bits);
  return value >> shift === range.network >> shift;
}

const RANGES: [string, AddressClass][] = [
  ['0.0.0.0/8', 'unspecified'], // "this network": 0.0.0.0 reaches the host itself on Linux
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT, shared address space
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'], // cloud metadata services live here
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // and 255.255.255.255
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'], // IPv4-compatible (deprecated)
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
];
const CLASSIFIED = RANGES.map(([text, kind]) => ({ range: parseCidr(text)!, kind }));
const NAT64 = parseCidr('64:ff9b::/96')!;

export interface Classified {
  kind: AddressClass;
  /** The range it falls in (`127.0.0.0/8`). */
  range: string;
}

/**
 * The internal range `ip` (a literal, brackets allowed) falls in, or undefined for a public
 * address. IPv4-mapped and NAT64 (64:ff9b::/96) addresses are judged by their IPv4 address.
 */
export function classifyAddress(ip: string | bigint): Classified | undefined {
  let value = typeof ip === 'bigint' ? ip : addressValue(ip);
  if (value === undefined) return { kind: 'reserved', range: 'not an IP address' };
  if (inCidr(value, NAT64)) value = MAPPED | (value & V4_MASK);
  for (const { range, kind } of CLASSIFIED)
    if (inCidr(value, range)) return { kind, range: range.text };
  return undefined;
}
