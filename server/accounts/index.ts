import type { Logger } from 'pino';
import type { Config } from '../../schemas/config.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { ServerSecrets } from '../keys/server-secrets.js';
import type { AccessKeys } from '../auth/access-keys.js';
import { AuditLog } from './audit-log.js';
import { auditRepository } from './audit-repository.js';
import { FailedCredentials } from './failed-credentials.js';
import { invitationRepository } from './invitation-repository.js';
import { Invitations } from './invitations.js';
import { OwnKeys } from './own-keys.js';
import { loginCodeRepository } from './login-code-repository.js';
import { LoginCodes } from './login-codes.js';
import { namespaceRepository } from './namespace-repository.js';
import { Namespaces } from './namespaces.js';
import { userRepository } from './user-repository.js';
import { PhoneLogin } from './phone-login.js';
import { sessionRepository } from './session-repository.js';
import { storeLimiters } from './shared-rate-limit.js';
import { Sessions } from './sessions.js';
import { createSmsProvider } from './sms/index.js';
import { Users } from './users.js';

export interface Accounts {
  users: Users;
  namespaces: Namespaces;
  sessions: Sessions;
  login: PhoneLogin;
  audit: AuditLog;
  ownKeys: OwnKeys;
  /** Failed credentials at the token endpoint, the API and login: counted, limited, audited. */
  failures: FailedCredentials;
  invitations: Invitations;
}

export function createAccounts(deps: {
  store: StoreDatabase;
  keys: AccessKeys;
  config: Config;
  secrets: ServerSecrets;
  log: Logger;
  /** Where the `log` SMS provider writes the code, as a plain line for a person to read. */
  print: (line: string) => void;
  clock: () => number;
}): Accounts {
  const { store, config, log, clock } = deps;
  const namespaces = new Namespaces(namespaceRepository(store), clock);
  const users = new Users(userRepository(store), clock);
  const sessions = new Sessions(
    sessionRepository(store),
    config.auth.sessionTtlDays * 86_400_000,
    clock,
  );
  const audit = new AuditLog(auditRepository(store), clock);
  const codes = new LoginCodes(
    loginCodeRepository(store),
    deps.secrets.key('login-code.key'),
    clock,
  );
  const sms = createSmsProvider(config.sms, log.child({ module: 'sms' }), deps.print);
  const limiters = storeLimiters(store, clock, log.child({ module: 'rate-limit' }));
  const failures = new FailedCredentials({
    limits: config.auth.rateLimit,
    audit,
    log: log.child({ module: 'auth.failures' }),
    clock,
    limiters,
  });
  const login = new PhoneLogin({
    codes,
    sms,
    users,
    sessions,
    audit,
    failures,
    keys: deps.keys,
    admins: new Set(config.auth.admins),
    log: log.child({ module: 'login' }),
    clock,
    limiters,
  });
  const ownKeys = new OwnKeys(deps.keys, audit, clock);
  const invitations = new Invitations({
    repository: invitationRepository(store),
    namespaces,
    audit,
    clock,
  });
  return { users, namespaces, sessions, login, audit, ownKeys, failures, invitations };
}
