/**
 * Secrets the store needs in clear again (a hook's signing secret, the registry token signing
 * key), so they cannot be hashed: they are stored encrypted (AES-256-GCM) under a server secret
 * (server-secrets.ts), so a copy of the database alone reveals none of them.
 * Stored form: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class SecretBox {
  /**
   * `key` seals; `replaced`, when given, is the key an earlier configuration sealed with (a data
   * folder's own file before `server.secretKey` was set): still opened, until `sealAgain`.
   */
  constructor(
    private readonly key: Buffer,
    private readonly replaced?: Buffer,
    /** What is sealed, for the error when it cannot be opened. */
    private readonly what = "the hook's secret",
  ) {}

  /** Whether `stored` is in the sealed form (not, say, a PEM stored before sealing). */
  static isSealed(stored: string): boolean {
    return stored.startsWith('v1.');
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), sealed].map((p) => b64(p)).join('.');
  }

  open(stored: string): string {
    const opened = openWith(this.key, stored) ?? (this.replaced && openWith(this.replaced, stored));
    // A database restored without its keys, or a process given another secretKey: what was
    // sealed must be made again (or the store given the key it was sealed with).
    if (opened === undefined)
      throw new Error(
        `${this.what} cannot be decrypted: this store's key is not the one it was sealed with (server.secretKey, or the files in <data>/keys)`,
      );
    return opened;
  }

  /**
   * The stored form under the current key of a secret sealed under the replaced one, or undefined
   * when it needs nothing (already current, or opened by neither).
   */
  sealAgain(stored: string): string | undefined {
    if (!this.replaced || openWith(this.key, stored) !== undefined) return undefined;
    const opened = openWith(this.replaced, stored);
    return opened === undefined ? undefined : this.seal(opened);
  }
}

function openWith(key: Buffer, stored: string): string | undefined {
  const [version, iv, tag, sealed] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || sealed === undefined)
    throw new Error(`not a sealed secret (the stored form is v1.<iv>.<tag>.<ciphertext>)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return undefined;
  }
}

function b64(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}
