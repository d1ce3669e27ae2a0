/**
 * Is this request from a page of the store itself? Browsers say where a request comes from in
 * `Origin` (on every cross-origin request and on same-origin POSTs), else in `Referer`. The store
 * is the host the request was sent to (its Host header) and, when `publicUrl` is set, that
 * origin too (a proxy in front may pass another Host on). The scheme of the Host is not known
 * behind a TLS-terminating proxy, so only its host and port are compared.
 */
import type { Request } from 'express';

/** `value` (an Origin or a Referer) names the store that `req` was sent to. */
export function isOwnOrigin(value: string, req: Request, publicUrl: string | undefined): boolean {
  if (!URL.canParse(value)) return false; // 'null' too: a sandboxed frame or a file
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (publicUrl && url.origin === new URL(publicUrl).origin) return true;
  const host = req.get('host');
  return !!host && URL.canParse(`http://${host}`) && url.host === new URL(`http://${host}`).host;
}

/** The request's Origin, or its Referer when it has none, names the store. */
export function fromOwnOrigin(req: Request, publicUrl: string | undefined): boolean {
  const source = req.get('origin') ?? req.get('referer');
  return source !== undefined && isOwnOrigin(source, req, publicUrl);
}
