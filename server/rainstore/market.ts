/**
 * This store as a Rainstore market: its domain, name and id, and the addresses a Rainbond console
 * and its builder are given (the public base URL, the registry host).
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';

export interface Market {
  domain: string;
  name: string;
  /** `marketID`: 32 hex characters derived from the domain, stable across restarts. */
  id: string;
}

export function marketOf(config: { marketDomain: string; marketName: string }): Market {
  const id = createHash('sha256')
    .update(`appshelf-rainstore:${config.marketDomain}`)
    .digest('hex')
    .slice(0, 32);
  return { domain: config.marketDomain, name: config.marketName, id };
}

/** The public base URL (no trailing slash): config.publicUrl, else the request's Host over its protocol. */
export function baseUrlOf(publicUrl: string | undefined, req: Request): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The registry host[:port] (no scheme, no path) of the store, as image references name it. */
export function hubHostOf(publicUrl: string | undefined, req: Request): string {
  return new URL(baseUrlOf(publicUrl, req)).host;
}

/** Hosts that are this store in image references: the public one and the one the request used. */
export function ownHostsOf(publicUrl: string | undefined, req: Request): Set<string> {
  const hosts = new Set([hubHostOf(publicUrl, req).toLowerCase()]);
  const requested = req.get('host');
  if (requested) hosts.add(requested.toLowerCase());
  return hosts;
}
