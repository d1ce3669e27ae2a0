/**
 * Registry bearer tokens (Docker token authentication): ES256 JWTs signed with a key made on
 * first start and kept in the store's database (token-keys.ts), so every process of a store
 * signs and verifies with the same key. Verified tokens are cached, so the /v2 hot path does no
 * crypto for a token it has seen.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  jwtVerify,
  SignJWT,
  type CryptoKey,
} from 'jose';
import type { KeyScope, Principal } from './principal.js';
import { SecretBox } from '../keys/secret-box.js';
import { REGISTRY_TOKEN_KEY, type TokenKeyRepository } from './token-keys.js';

export interface TokenAccess {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

export interface TokenClaims {
  sub: string;
  access: TokenAccess[];
  /** Enough of the principal to re-check permissions without a database read. */
  uid: number | null;
  role: 'admin' | 'user' | null;
  kid: number | null;
  scp: KeyScope[] | null;
  /** The pull credential (and its app's key) the token was made from; absent in older tokens. */
  pull?: { id: number; app: string } | null;
  exp: number;
}

const ISSUER = 'appshelf';
const CACHE_LIMIT = 10_000;

export class TokenService {
  private readonly cache = new Map<string, TokenClaims>();

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly service: string,
    readonly ttlSeconds: number,
    private readonly clock: () => number,
  ) {}

  /**
   * The service over the store's signing key, made on first start. A store from before the key
   * moved into the database kept it in `<data>/keys/token-signing.pem`: that key is the one
   * offered, so its tokens stay valid (the file is left in place, for a downgrade).
   */
  static async open(
    store: { keys: TokenKeyRepository; dataDir: string; box?: SecretBox | undefined },
    service: string,
    ttlSeconds: number,
    clock: () => number = Date.now,
  ): Promise<TokenService> {
    const pem = await keyOf(store, clock());
    const privateKey = await importPKCS8(pem, 'ES256', { extractable: true });
    const publicKey = createPublicKey(pem) as unknown as CryptoKey;
    return new TokenService(privateKey, publicKey, service, ttlSeconds, clock);
  }

  async issue(
    principal: Principal,
    access: TokenAccess[],
  ): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    const now = Math.floor(this.clock() / 1000);
    const user = principal.kind === 'user' ? principal : undefined;
    const token = await new SignJWT({
      access,
      uid: user?.userId ?? null,
      role: user?.role ?? null,
      kid: user?.keyId ?? null,
      scp: user?.keyScopes ?? null,
      pull: user?.pullCredential
        ? { id: user.pullCredential.id, app: user.pullCredential.appKey }
        : null,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.service)
      .setSubject(user?.name ?? '')
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresIn: this.ttlSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }

  /** The claims of a valid, unexpired token, or undefined. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    const nowSeconds = this.clock() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp > nowSeconds) return cached;
      this.cache.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: ISSUER,
        audience: this.service,
        algorithms: ['ES256'],
        currentDate: new Date(this.clock()),
      });
      const claims = payload as unknown as TokenClaims;
      if (!Array.isArray(claims.access) || typeof claims.exp !== 'number') return undefined;
      if (this.cache.size >= CACHE_LIMIT) this.evict(nowSeconds);
      this.cache.set(token, claims);
      return claims;
    } catch {
      return undefined;
    }
  }

  private evict(nowSeconds: number): void {
    for (const [token, claims] of this.cache)
      if (claims.exp <= nowSeconds) this.cache.delete(token);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
  }
}

/**
 * The signing key's PEM. With a box (`server.secretKey` set) the row holds it sealed: a key made
 * now is stored sealed, and one stored in clear before is sealed in place. A sealed row read by a
 * process without the box stops it: it could not sign tokens the others accept.
 */
async function keyOf(
  store: { keys: TokenKeyRepository; dataDir: string; box?: SecretBox | undefined },
  at: number,
): Promise<string> {
  const { keys, box } = store;
  const offered = async (): Promise<string> => {
    const pem = (await readLegacyKey(store.dataDir)) ?? (await newKey());
    return box ? box.seal(pem) : pem;
  };
  const stored = await keys.keep(REGISTRY_TOKEN_KEY, offered, at);
  if (!SecretBox.isSealed(stored)) {
    if (box) await keys.replace(REGISTRY_TOKEN_KEY, stored, box.seal(stored));
    return stored;
  }
  if (!box)
    throw new Error(
      'the registry token signing key in the database is sealed under server.secretKey: give this process the same server.secretKey as the others',
    );
  return box.open(stored);
}

/** Where the key was kept before it moved into the database (read once, at the import). */
export const LEGACY_KEY_FILE = join('keys', 'token-signing.pem');

async function readLegacyKey(dataDir: string): Promise<string | undefined> {
  const pem = await readFile(join(dataDir, LEGACY_KEY_FILE), 'utf8').catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
  return pem?.includes('PRIVATE KEY') ? pem : undefined;
}

async function newKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return exportPKCS8(privateKey);
}

/** Parses the token endpoint's `scope` parameters (`repository:acme/app:pull,push`). */
export function parseScopes(values: string[]): TokenAccess[] {
  const out: TokenAccess[] = [];
  for (const value of values) {
    for (const item of value.split(' ')) {
      const first = item.indexOf(':');
      const last = item.lastIndexOf(':');
      if (first <= 0 || last === first) continue;
      const type = item.slice(0, first);
      if (type !== 'repository' && type !== 'registry') continue;
      const name = item.slice(first + 1, last);
      const actions = item
        .slice(last + 1)
        .split(',')
        .filter(Boolean);
      const known = out.find((a) => a.type === type && a.name === name);
      if (known) known.actions = [...new Set([...known.actions, ...actions])];
      else out.push({ type, name, actions });
    }
  }
  return out;
}
