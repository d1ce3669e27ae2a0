/**
 * Hook secrets are needed in clear to sign each body, so they cannot be hashed: they are stored
 * encrypted (AES-256-GCM) under a key in `<data>/keys/webhook-secrets` (secret-file.ts), so a copy
 * of the database alone reveals none of them. Stored form: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { secretFile } from '../keys/secret-file.js';

export class SecretBox {
  private readonly key: Buffer;

  constructor(dataDir: string) {
    this.key = secretFile(dataDir, 'webhook-secrets');
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), sealed].map((p) => b64(p)).join('.');
  }

  open(stored: string): string {
    const [version, iv, tag, sealed] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || sealed === undefined)
      throw new Error('not a sealed webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(sealed, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // A database restored without its keys folder: the hook must be made again.
      throw new Error(
        "the hook's secret cannot be decrypted: keys/webhook-secrets is not the key it was sealed with",
      );
    }
  }
}

function b64(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url');
}
