import { Router, type Response } from 'express';
import { z } from 'zod';
import type { PhoneLogin } from '../accounts/phone-login.js';
import type { Sessions } from '../accounts/sessions.js';
import { publicProfile } from '../accounts/users.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { addressOf, requireUser, SESSION_COOKIE } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

const Phone = z.string().min(3).max(32);
export const CodeBody = z.strictObject({ phone: Phone });
export const LoginBody = z.strictObject({
  phone: Phone,
  code: z.string().regex(/^\d{6}$/, 'six digits'),
  /** The namespace a new user chooses; generated when absent. Ignored for an existing user. */
  name: z.string().min(1).max(64).optional(),
});

/** POST /api/v1/auth/code, /login, /logout. */
export function authRoutes(deps: {
  login: PhoneLogin;
  sessions: Sessions;
  audit: AuditLog;
  secureCookies: boolean;
}): Router {
  const router = Router();
  const setCookie = (res: Response, value: string, maxAgeMs: number): void => {
    res.cookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookies,
      path: '/',
      maxAge: maxAgeMs,
    });
  };

  router.post('/code', async (req, res) => {
    const { phone } = parseInput(CodeBody, req.body, 'body');
    await deps.login.sendCode(phone, addressOf(req));
    res.status(202).json({ sent: true, expiresInSeconds: 600 });
  });

  router.post('/login', async (req, res) => {
    const { phone, code, name } = parseInput(LoginBody, req.body, 'body');
    const session = await deps.login.login(phone, code, addressOf(req), name);
    setCookie(res, session.token, session.expiresAt - Date.now());
    res
      .status(session.created ? 201 : 200)
      .set('Cache-Control', 'no-store')
      .json({
        token: session.token,
        expiresAt: new Date(session.expiresAt).toISOString(),
        created: session.created,
        user: { ...publicProfile(session.user), role: session.user.role },
      });
  });

  router.post('/logout', async (req, res) => {
    const principal = requireUser(res.locals.principal);
    if (principal.sessionId !== undefined) {
      await deps.sessions.end(principal.sessionId);
      await deps.audit.record({
        actor: principal.name,
        action: 'logout',
        target: principal.name,
        address: addressOf(req),
      });
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });
  return router;
}
