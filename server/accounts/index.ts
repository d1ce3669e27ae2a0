import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config.js';
import type { Db } from '../db/open-database.js';
import { AuditLog } from './audit-log.js';
import { LoginCodes } from './login-codes.js';
import { Namespaces } from './namespaces.js';
import { PhoneLogin } from './phone-login.js';
import { Sessions } from './sessions.js';
import { createSmsProvider } from './sms/index.js';
import { Users } from './users.js';

export interface Accounts {
  users: Users;
  namespaces: Namespaces;
  sessions: Sessions;
  login: PhoneLogin;
  audit: AuditLog;
}

/**
 * The secret that keys login-code HMACs, made on first start beside the token signing key. It is
 * outside the database so that a copy of the database alone cannot be used to recover codes.
 */
function loginCodePepper(dataDir: string): Buffer {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'login-code.key');
  try {
    return readFileSync(path);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
    return readFileSync(path);
  }
}

export function createAccounts(deps: { db: Db; config: Config; dataDir: string; log: Logger; clock: () => number }): Accounts {
  const { db, config, log, clock } = deps;
  const namespaces = new Namespaces(db, clock);
  const users = new Users(db, namespaces, clock);
  const sessions = new Sessions(db, config.auth.sessionTtlDays * 86_400_000, clock);
  const audit = new AuditLog(db, clock);
  const codes = new LoginCodes(db, loginCodePepper(deps.dataDir), clock);
  const sms = createSmsProvider(config.sms, log.child({ module: 'sms' }));
  const login = new PhoneLogin({ codes, sms, users, sessions, audit, log: log.child({ module: 'login' }), clock });
  return { users, namespaces, sessions, login, audit };
}
