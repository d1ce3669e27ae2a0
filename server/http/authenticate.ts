import type { Request, RequestHandler } from 'express';
import type { AccessKeys } from '../auth/access-keys.js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';

declare module 'express-serve-static-core' {
  interface Locals {
    principal: Principal;
  }
}

/** Resolves `Authorization: Bearer <access key>` into res.locals.principal (anonymous without it). */
export function authenticate(keys: AccessKeys): RequestHandler {
  return (req, res, next) => {
    res.locals.principal = principalOf(req, keys);
    next();
  };
}

function principalOf(req: Request, keys: AccessKeys): Principal {
  const header = req.headers.authorization;
  if (!header) return ANONYMOUS;
  if (!header.startsWith('Bearer ')) throw new StoreError('unauthorized', 'expected a Bearer access key');
  const principal = keys.authenticate(header.slice(7).trim());
  if (!principal) throw new StoreError('unauthorized', 'unknown, revoked or expired access key');
  return principal;
}

export function requireUser(p: Principal): Extract<Principal, { kind: 'user' }> {
  if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
  return p;
}
