/**
 * Sign in with a phone number and a code: step one asks for the number and sends a code, step
 * two takes the code (and, for a new account, the name to publish under). Errors are shown on the
 * form; "send again" counts down while the server would refuse a new code. An admin may sign in
 * with an access key instead (a fresh store's only account is the admin with its printed key).
 */
import type { Response, Router } from 'express';
import { NAMESPACE_NAME_RULE } from '../../../schemas/names.js';
import { StoreError } from '../../errors.js';
import { addressOf, SESSION_COOKIE } from '../../http/authenticate.js';
import { field, formOf } from '../form.js';
import { html } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebContext } from '../context.js';
import type { WebServices } from '../services.js';

const RESEND_SECONDS = 60;

/** Only paths of this site are followed after signing in (never another site's URL). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    next.startsWith('/') &&
    !next.startsWith('//') &&
    !next.startsWith('/\\') &&
    !next.startsWith('/login')
    ? next
    : '/my';
}

export function loginRoutes(router: Router, s: WebServices): void {
  const { login, sessions, audit } = s.deps.accounts;

  router.get('/login', (req, res) => {
    const ctx = res.locals.web;
    if (ctx.user) return void res.redirect(303, safeNext(req.query.next));
    send(res, ctx, { step: 'phone', phone: '', next: safeNext(req.query.next) });
  });

  router.post('/login', async (req, res) => {
    const ctx = res.locals.web;
    const form = formOf(req);
    const state: LoginState = {
      step: 'code',
      phone: field(form, 'phone').trim(),
      next: safeNext(field(form, 'next')),
      name: field(form, 'name').trim(),
    };
    try {
      const action = field(form, 'action');
      if (action === 'login' || action === 'key') {
        const session =
          action === 'key'
            ? await login.loginWithKey(field(form, 'key').trim(), addressOf(req))
            : await login.login(
                state.phone,
                field(form, 'code').trim(),
                addressOf(req),
                state.name || undefined,
              );
        res.cookie(SESSION_COOKIE, session.token, {
          httpOnly: true,
          sameSite: 'strict',
          secure: s.deps.secureCookies,
          path: '/',
          maxAge: session.expiresAt - s.deps.clock(),
        });
        const next = session.created && state.next === '/my' ? '/my/profile?welcome=1' : state.next;
        return void res.redirect(303, next);
      }
      await login.sendCode(state.phone, addressOf(req));
      send(res, ctx, { ...state, sent: true, wait: RESEND_SECONDS });
    } catch (err) {
      if (!(err instanceof StoreError) || (err.status >= 500 && err.code !== 'unavailable'))
        throw err;
      const details = err.details as { field?: string; retryAfterSeconds?: number } | undefined;
      res.status(err.status);
      send(res, ctx, {
        ...state,
        step: details?.field === 'phone' || field(form, 'action') === 'key' ? 'phone' : 'code',
        error: err.message,
        keyError: field(form, 'action') === 'key',
        ...(details?.retryAfterSeconds ? { wait: details.retryAfterSeconds } : {}),
      });
    }
  });

  router.post('/logout', async (req, res) => {
    const ctx = res.locals.web;
    if (ctx.user?.sessionId !== undefined) {
      await sessions.end(ctx.user.sessionId);
      await audit.record({
        actor: ctx.user.name,
        action: 'logout',
        target: ctx.user.name,
        address: addressOf(req),
      });
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/');
  });
}

interface LoginState {
  step: 'phone' | 'code';
  phone: string;
  next: string;
  /** The error came from the access-key form: show it open. */
  keyError?: boolean;
  name?: string;
  error?: string;
  sent?: boolean;
  /** Seconds before another code may be asked for. */
  wait?: number;
}

function send(res: Response, ctx: WebContext, st: LoginState): void {
  const body = html`<div class="wrap narrow">
<h1>Sign in</h1>
<p>Sign in or create an account with your phone number. We send you a six-digit code.</p>
${notice(st.error, 'error')}
${st.sent ? notice(`We sent a code to ${st.phone}. It is valid for 10 minutes.`) : ''}
${
  st.step === 'phone'
    ? html`<form method="post" action="/login" class="stack" novalidate>
${csrfField(ctx)}<input type="hidden" name="next" value="${st.next}"><input type="hidden" name="action" value="code">
<label for="phone">Phone number</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required value="${st.phone}" placeholder="+8613800138000" aria-describedby="phone-help"${st.error ? html` aria-invalid="true"` : ''}>
<p id="phone-help" class="help">In international form, with the country code.</p>
<button type="submit">Send code</button>
</form>
<details class="key-login"${st.keyError ? ' open' : ''}><summary>Administrator: sign in with an access key</summary>
<form method="post" action="/login" class="stack" novalidate>
${csrfField(ctx)}<input type="hidden" name="next" value="${st.next}"><input type="hidden" name="action" value="key">
<label for="key">Access key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required aria-describedby="key-help">
<p id="key-help" class="help">The admin access key printed when the store first started (or another admin key with the push scope).</p>
<button type="submit" class="secondary">Sign in with the key</button>
</form></details>`
    : html`<form method="post" action="/login" class="stack" novalidate>
${csrfField(ctx)}<input type="hidden" name="next" value="${st.next}"><input type="hidden" name="phone" value="${st.phone}"><input type="hidden" name="action" value="login">
<p>Phone number: <strong>${st.phone}</strong> · <a href="/login?next=${encodeURIComponent(st.next)}">use another number</a></p>
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus${st.error ? html` aria-invalid="true"` : ''}>
<label for="name">Your name <span class="muted">(new accounts only)</span></label>
<input id="name" name="name" type="text" autocomplete="username" value="${st.name ?? ''}" aria-describedby="name-help" pattern="[a-z0-9][a-z0-9-]*">
<p id="name-help" class="help">You publish apps under this name: ${NAMESPACE_NAME_RULE}. Leave it empty to get one made up; you can set a display name later.</p>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/login" class="resend">
${csrfField(ctx)}<input type="hidden" name="next" value="${st.next}"><input type="hidden" name="phone" value="${st.phone}"><input type="hidden" name="action" value="code">
<button type="submit" class="secondary" data-countdown="${st.wait ?? 0}" data-label="Send the code again">Send the code again</button>
<span class="help" aria-live="polite" data-countdown-text></span>
</form>`
}
</div>`;
  res.set('Cache-Control', 'no-store').send(
    renderPage(ctx, {
      title: 'Sign in',
      description: 'Sign in to appshelf with your phone number.',
      noindex: true,
      body,
    }),
  );
}
