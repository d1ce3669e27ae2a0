import type { Logger } from 'pino';
import type { Users } from '../accounts/users.js';
import { hashSecret, type AccessKeys } from './access-keys.js';

export const ADMIN_NAME = 'admin';
const BOOTSTRAP_KEY_NAME = 'bootstrap';

/**
 * On every start: the `admin` user exists, and its bootstrap key equals the configured one.
 * With no configured key and no key yet, a random key is made and printed once.
 */
export async function bootstrapAdmin(deps: {
  users: Users;
  keys: AccessKeys;
  adminKey: string | undefined;
  log: Logger;
  print: (line: string) => void;
}): Promise<void> {
  const { users, keys, adminKey, log } = deps;
  let admin = await users.byName(ADMIN_NAME);
  if (!admin) {
    admin = await users.create({ name: ADMIN_NAME, displayName: 'Administrator', role: 'admin' });
    log.info({ user: ADMIN_NAME }, 'admin user created');
  }
  const existing = await keys.liveNamed(admin.id, BOOTSTRAP_KEY_NAME);
  if (adminKey) {
    if (!existing)
      await keys.create(admin.id, BOOTSTRAP_KEY_NAME, ['read', 'install', 'push'], {
        secret: adminKey,
      });
    else if (existing.secretHash !== hashSecret(adminKey))
      await keys.setSecret(existing.id, adminKey);
    return;
  }
  if (!existing) {
    const { key } = await keys.create(admin.id, BOOTSTRAP_KEY_NAME, ['read', 'install', 'push']);
    deps.print(
      `appshelf: the admin access key is ${key}\nappshelf: it is shown only now; log in as "${ADMIN_NAME}" with it.`,
    );
  }
}
