import type { Logger } from 'pino';
import type { AccessKeys } from '../auth/access-keys.js';
import { StoreError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { FailedCredentials } from './failed-credentials.js';
import type { LoginCodes } from './login-codes.js';
import { maskPhone, normalisePhone } from './phone.js';
import { inMemoryLimiters, type Limiter, type LimiterFactory } from './rate-limiter.js';
import type { Sessions } from './sessions.js';
import { SmsError, type SmsProvider } from './sms/index.js';
import type { UserRow, Users } from './users.js';

/** Per address: codes asked for, and login attempts, per 10 minutes. */
const CODES_PER_ADDRESS = 10;
const LOGINS_PER_ADDRESS = 30;
const ADDRESS_WINDOW_MS = 10 * 60_000;

export interface LoginResult {
  token: string;
  expiresAt: number;
  user: UserRow;
  created: boolean;
}

/** Phone number + verification code: sends codes, checks them, creates users, opens sessions. */
export class PhoneLogin {
  private readonly codeRequests: Limiter;
  private readonly loginAttempts: Limiter;

  constructor(
    private readonly deps: {
      codes: LoginCodes;
      sms: SmsProvider;
      users: Users;
      sessions: Sessions;
      audit: AuditLog;
      failures: FailedCredentials;
      keys: AccessKeys;
      /** Phones (E.164) whose accounts are admins (`auth.admins`). */
      admins: ReadonlySet<string>;
      log: Logger;
      clock: () => number;
      /** In memory by default; shared by the processes on PostgreSQL. */
      limiters?: LimiterFactory;
    },
  ) {
    const limiters = deps.limiters ?? inMemoryLimiters(deps.clock);
    this.codeRequests = limiters('login.codes', CODES_PER_ADDRESS, ADDRESS_WINDOW_MS);
    this.loginAttempts = limiters('login.attempts', LOGINS_PER_ADDRESS, ADDRESS_WINDOW_MS);
  }

  /** Sends a fresh code to `phone`. A code the gateway did not take is withdrawn: asking again works at once. */
  async sendCode(rawPhone: string, address: string): Promise<void> {
    const phone = this.phone(rawPhone);
    if (!this.codeRequests.take(address))
      throw limited(
        'too many codes asked from this address',
        this.codeRequests.retryAfter(address),
      );
    const issued = await this.deps.codes.issue(phone, address);
    if (!issued.ok)
      throw limited(
        'a code was sent to this number moments ago; wait before asking again',
        issued.retryAfterSeconds,
      );
    try {
      await this.deps.sms.send(phone, issued.code);
    } catch (err) {
      await this.deps.codes.withdraw(issued.id);
      if (err instanceof SmsError)
        throw new StoreError('unavailable', `${err.message}; please try again`, undefined, {
          cause: err,
        });
      throw err;
    }
    this.deps.log.info({ to: maskPhone(phone), provider: this.deps.sms.name }, 'login code sent');
  }

  async login(
    rawPhone: string,
    code: string,
    address: string,
    wantedName?: string,
  ): Promise<LoginResult> {
    const phone = this.phone(rawPhone);
    // The phone is the account's name here: wrong codes for it add up from any address.
    const attempt = { door: 'login', address, name: phone, actor: maskPhone(phone) } as const;
    const refused = this.deps.failures.refusal(attempt);
    if (refused)
      throw limited(
        refused.by === 'name'
          ? 'too many wrong codes for this number; try again later'
          : 'too many failed sign-ins from this address; try again later',
        refused.retryAfterSeconds,
      );
    if (!this.loginAttempts.take(address))
      throw limited(
        'too many login attempts from this address',
        this.loginAttempts.retryAfter(address),
      );
    await this.deps.users.assertCanSignUp(phone, wantedName);
    const verdict = await this.deps.codes.verify(phone, code);
    if (verdict !== 'ok') {
      this.deps.failures.failed(attempt, verdict);
      throw new StoreError(
        'unauthorized',
        verdict === 'expired' ? 'the code has expired; ask for a new one' : 'wrong or used code',
      );
    }
    const found = await this.deps.users.findOrCreateByPhone(phone, wantedName);
    const { created } = found;
    let { user } = found;
    if (user.disabled) throw new StoreError('forbidden', 'this account is disabled');
    if (this.deps.admins.has(phone) && user.role !== 'admin') {
      await this.deps.users.setRole(user.id, 'admin');
      user = { ...user, role: 'admin' };
      await this.deps.audit.record({
        actor: 'auth.admins',
        action: 'user.promoted',
        target: user.name,
        address,
        detail: { role: 'admin', via: 'auth.admins' },
      });
    }
    const session = await this.deps.sessions.create(user.id, address);
    if (created)
      await this.deps.audit.record({
        actor: user.name,
        action: 'user.created',
        target: user.name,
        address,
      });
    await this.deps.audit.record({ actor: user.name, action: 'login', target: user.name, address });
    return { ...session, user, created };
  }

  /**
   * Signs an admin in to the web with an access key (the key printed at first start): a fresh
   * store has no phone account yet. Only an admin's key with every scope opens a session; wrong
   * keys count against the address and the key's owner like wrong codes.
   */
  async loginWithKey(secret: string, address: string): Promise<LoginResult> {
    const owner = await this.deps.keys.ownerOf(secret);
    const attempt = { door: 'login', address, name: owner } as const;
    const refused = this.deps.failures.refusal(attempt);
    if (refused)
      throw limited('too many failed sign-ins; try again later', refused.retryAfterSeconds);
    if (!this.loginAttempts.take(address))
      throw limited(
        'too many login attempts from this address',
        this.loginAttempts.retryAfter(address),
      );
    const p = await this.deps.keys.authenticate(secret);
    if (p?.kind !== 'user') {
      this.deps.failures.failed(attempt, 'wrong key');
      throw new StoreError('unauthorized', 'wrong, revoked or expired access key');
    }
    if (p.role !== 'admin' || !p.keyScopes?.includes('push'))
      throw new StoreError(
        'forbidden',
        "only an admin's access key with the push scope signs in here; sign in with your phone number",
      );
    const user = await this.deps.users.byId(p.userId);
    if (!user) throw new StoreError('unauthorized', 'wrong, revoked or expired access key');
    const session = await this.deps.sessions.create(user.id, address);
    await this.deps.audit.record({
      actor: user.name,
      action: 'login',
      target: user.name,
      address,
      detail: { via: 'access key', key: p.keyId },
    });
    return { ...session, user, created: false };
  }

  private phone(raw: string): string {
    const phone = normalisePhone(raw);
    if (!phone)
      throw new StoreError(
        'invalid',
        'phone must be a valid number in international form, e.g. +8613800138000',
        { field: 'phone' },
      );
    return phone;
  }
}

function limited(message: string, retryAfterSeconds: number): StoreError {
  return new StoreError('rate_limited', message, { retryAfterSeconds });
}
