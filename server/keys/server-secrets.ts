/**
 * The store's server secrets: 32-byte keys, each with a name and one job (login-code HMACs, CSRF
 * tokens, sealing webhook secrets). They live outside the database, so a copy of it alone reveals
 * nothing they key. With a secretKey the registry token signing key, which must be a row (every
 * process signs with it), is sealed under one of them too.
 *
 * With `server.secretKey` set, each key is derived from it (HKDF-SHA256, the name as info): every
 * process of a store given the same secretKey holds the same keys without sharing a disk, which
 * is what several processes behind a balancer need (a code sent by one is checked by another).
 * Without it, each key is a random file in `<data>/keys` (secret-file.ts): right for one process.
 */
import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretFile } from './secret-file.js';

export type SecretName =
  | 'login-code.key'
  | 'web-csrf.key'
  | 'webhook-secrets'
  /** Seals the registry token signing key in the database; derived only (no file of its own). */
  | 'token-signing.key';

const SALT = 'appshelf server secrets v1';

export interface ServerSecrets {
  key(name: SecretName): Buffer;
  /**
   * The file key a derived key took the place of, when the data folder still holds one: what was
   * sealed before `server.secretKey` was set can still be opened (and sealed again) with it.
   */
  replacedKey(name: SecretName): Buffer | undefined;
}

export function serverSecrets(dataDir: string, secretKey: string | undefined): ServerSecrets {
  if (secretKey === undefined)
    return { key: (name) => secretFile(dataDir, name), replacedKey: () => undefined };
  return {
    key: (name) => Buffer.from(hkdfSync('sha256', secretKey, SALT, name, 32)),
    replacedKey: (name) => {
      try {
        return readFileSync(join(dataDir, 'keys', name));
      } catch {
        return undefined;
      }
    },
  };
}
