import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A 32-byte server secret in `<data>/keys/<name>`, made on first use (mode 0600) and read after.
 * Secrets live outside the database so that a copy of the database alone reveals nothing they key
 * (login-code HMACs, CSRF tokens, derived robot credentials). Two processes starting at once both
 * end up reading the one file the first of them wrote.
 */
export function secretFile(dataDir: string, name: string): Buffer {
  const dir = join(dataDir, 'keys');
  const path = join(dir, name);
  try {
    return readFileSync(path);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return readFileSync(path);
  }
}
