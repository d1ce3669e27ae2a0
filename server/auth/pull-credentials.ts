/**
 * The registry credentials in an install template a Rainbond console fetches (rainstore-api.md
 * §4.11): issued to the installer's access key for one app, so they are worth what that key is
 * worth for that app and no more. permissions.ts decides on every registry request: they pull the
 * app's repositories while the key works and its owner may still read the app, until they expire.
 *
 * Renewal: a secret is shown once and only its hash is kept, so every template fetch issues a
 * fresh one; it also moves on the expiry of the key's other live secrets for the app, so what a
 * console stored at an earlier install keeps pulling while it keeps fetching. At most
 * LIVE_PER_KEY_AND_APP live at once: a console fetches twice per install (preflight, install),
 * and the oldest is dropped past that bound, so one key cannot pile up valid secrets.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { StoreError } from '../errors.js';
import { hashSecret } from './access-keys.js';
import type { Principal } from './principal.js';
import type { PullCredentialRepository } from './pull-credential-repository.js';

/** Unlike access keys (`ask_`), so the token endpoint knows where to look. */
const SECRET_PREFIX = 'apc_';
const LOOKUP_PREFIX_LENGTH = 12;
export const LIVE_PER_KEY_AND_APP = 10;

type User = Extract<Principal, { kind: 'user' }>;

export class PullCredentials {
  constructor(
    private readonly deps: {
      repository: PullCredentialRepository;
      ttlSeconds: number;
      clock: () => number;
    },
  ) {}

  /**
   * Fresh credentials for `installer`'s key to pull app `appId`; whether the installer may install
   * it is the caller's question to the permission module. The user name is the installer's.
   */
  async issue(installer: User, appId: number): Promise<{ user: string; password: string }> {
    const keyId = installer.keyId;
    if (keyId === undefined)
      throw new StoreError('forbidden', 'install credentials are issued to access keys only');
    const now = this.deps.clock();
    const secret = `${SECRET_PREFIX}${randomBytes(24).toString('base64url')}`;
    await this.deps.repository.issue(
      {
        accessKeyId: keyId,
        appId,
        prefix: secret.slice(0, LOOKUP_PREFIX_LENGTH),
        secretHash: hashSecret(secret),
        createdAt: now,
        expiresAt: now + this.deps.ttlSeconds * 1000,
      },
      LIVE_PER_KEY_AND_APP,
    );
    return { user: installer.name, password: secret };
  }

  /**
   * The principal that pull credentials stand for: their installer with only the read scope, marked
   * with the credential and its app; undefined unless the secret is one, of that user, unexpired,
   * its key neither revoked nor expired and its user not disabled.
   */
  async authenticate(secret: string, username: string): Promise<Principal | undefined> {
    if (!secret.startsWith(SECRET_PREFIX) || secret.length > 255) return undefined;
    const wanted = Buffer.from(hashSecret(secret), 'hex');
    const now = this.deps.clock();
    const candidates = await this.deps.repository.byPrefix(secret.slice(0, LOOKUP_PREFIX_LENGTH));
    for (const { credential, key, user, appKey } of candidates) {
      if (!timingSafeEqual(Buffer.from(credential.secretHash, 'hex'), wanted)) continue;
      const dead =
        user.name !== username ||
        user.disabled ||
        credential.expiresAt <= now ||
        key.revokedAt !== null ||
        (key.expiresAt !== null && key.expiresAt <= now);
      if (dead) return undefined;
      return {
        kind: 'user',
        userId: user.id,
        name: user.name,
        role: user.role,
        keyScopes: ['read'],
        keyId: key.id,
        pullCredential: { id: credential.id, appKey },
      };
    }
    return undefined;
  }
}
