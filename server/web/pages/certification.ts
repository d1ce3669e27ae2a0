/**
 * /certification/login: where a Rainbond console gets an access key to this store
 * (docs/rainstore-api.md §5 "Binding"). The console iframes this page; its user signs in
 * with phone + code, names a key and picks its scopes; the page creates the key and posts
 * `{accessKey}` to the console's window, once.
 *
 * Framing: the only web page without `X-Frame-Options: DENY`; its CSP `frame-ancestors` comes
 * from `rainstore.frameAncestors` (default `'self'`: an operator adds each console's origin), so
 * the browser itself refuses any other embedder. Every other page keeps `frame-ancestors 'none'`.
 *
 * Session: the console and the store are usually different sites, so the frame is a third-party
 * context. The web's session cookie is SameSite=Strict (and browsers block third-party cookies
 * more and more), so a cookie session cannot work here. Instead the page's script signs in
 * through the JSON API (/api/v1/auth/code, /api/v1/auth/login), keeps the returned session token
 * in a variable only (no cookie, no storage: it dies with the frame), sends it as
 * `Authorization: Bearer` to POST /api/v1/keys, and ends the session once the key is posted. Being
 * bearer-only, these calls need no CSRF token. Keys are created, never picked from existing ones:
 * the store keeps no key's secret after showing it once.
 *
 * The script (static/certification.js, no inline script: the CSP forbids it) posts only to the
 * embedding origin, checked against the same list (see there).
 */
import type { Router } from 'express';
import { NAMESPACE_NAME_RULE } from '../../../schemas/names.js';
import { html } from '../html.js';
import { SITE_NAME } from '../layout.js';
import type { WebServices } from '../services.js';

/** Default of `rainstore.frameAncestors` (schemas/config.ts) when the web is built without it. */
const SELF_ONLY = ["'self'"];

/** A display hint from the console's query: untrusted, shown as text, at most 64 characters. */
function hint(value: unknown): string {
  return typeof value === 'string' ? value.trim().slice(0, 64) : '';
}

export function certificationRoutes(router: Router, s: WebServices): void {
  const frameAncestors = s.deps.rainstore?.frameAncestors ?? SELF_ONLY;
  const marketName = s.deps.rainstore?.marketName ?? SITE_NAME;

  router.get('/certification/login', (req, res) => {
    const ctx = res.locals.web;
    const enterprise = hint(req.query.enterprise_alias) || hint(req.query.enterprise_id);
    const person = hint(req.query.real_name);
    const keyName =
      `Rainbond${enterprise ? ` ${enterprise}` : ''}${person ? ` (${person})` : ''}`.slice(0, 64);
    // The web's headers (index.ts) deny framing; this page replaces that by the configured list.
    const csp = String(res.get('Content-Security-Policy') ?? '').replace(
      /frame-ancestors [^;]*/,
      `frame-ancestors ${frameAncestors.join(' ')}`,
    );
    res.removeHeader('X-Frame-Options');
    res.set({ 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' });
    const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect a Rainbond console · ${marketName}</title>
<meta name="description" content="Sign in to ${marketName} and give a Rainbond console an access key.">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light">
<link rel="icon" href="${ctx.assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.assets.url('app.css')}">
<link rel="stylesheet" href="${ctx.assets.url('certification.css')}">
<script src="${ctx.assets.url('certification.js')}" defer></script>
</head>
<body class="certification">
<main id="main" class="wrap narrow" data-certification data-frame-ancestors="${JSON.stringify(frameAncestors)}">
<h1>Connect to ${marketName}</h1>
<p data-embedder-line hidden>The site <strong data-embedder></strong> asks for an access key to this store. It receives the key once you create it below.</p>
${
  enterprise || person
    ? html`<p class="help">The console says: ${enterprise ? html`enterprise <strong>${enterprise}</strong>` : ''}${enterprise && person ? ', ' : ''}${person ? html`user <strong>${person}</strong>` : ''} (not checked by the store).</p>`
    : ''
}
<noscript><div class="notice error" role="alert">This page needs JavaScript: it hands the key to the console that shows it.</div></noscript>
<div class="notice error" role="alert" data-error hidden></div>
<div class="notice ok" role="status" data-status hidden></div>

<form id="step-phone" class="stack" novalidate hidden>
<label for="phone">Phone number</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required placeholder="+8613800138000" aria-describedby="phone-help">
<p id="phone-help" class="help">Your ${marketName} account's number, in international form. We send you a six-digit code.</p>
<div class="buttons"><button type="submit">Send code</button></div>
</form>

<form id="step-code" class="stack" novalidate hidden>
<p>Phone number: <strong data-phone></strong> · <button type="button" class="link" data-other-number>use another number</button></p>
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<label for="name">Your name <span class="muted">(new accounts only)</span></label>
<input id="name" name="name" type="text" autocomplete="username" pattern="[a-z0-9][a-z0-9-]*" aria-describedby="name-help">
<p id="name-help" class="help">You publish apps under this name: ${NAMESPACE_NAME_RULE}. Leave it empty to get one made up.</p>
<div class="buttons"><button type="submit">Sign in</button><button type="button" class="secondary" data-resend>Send the code again</button></div>
<p class="help" aria-live="polite" data-resend-text></p>
</form>

<form id="step-key" class="stack" novalidate hidden>
<p>Signed in as <strong data-user></strong>.</p>
<label for="key-name">Key name</label>
<input id="key-name" name="keyName" required maxlength="64" value="${keyName}" aria-describedby="key-name-help">
<p id="key-name-help" class="help">You see it in your list of keys, where you can revoke it.</p>
<fieldset><legend>What the console may do</legend>
<label class="check"><input type="checkbox" name="scopes" value="read" checked> read (OnlyRead): browse the store's apps</label>
<label class="check"><input type="checkbox" name="scopes" value="install" checked> install (ReadInstall): install apps into Rainbond</label>
<label class="check"><input type="checkbox" name="scopes" value="push"> push (Write): publish apps from Rainbond to this store</label>
</fieldset>
<label for="key-expiry">Expires</label>
<select id="key-expiry" name="expiresInDays"><option value="0">never</option><option value="30">in 30 days</option><option value="90">in 90 days</option><option value="365">in 365 days</option></select>
<div class="buttons"><button type="submit">Create the key and connect</button></div>
</form>
</main>
</body>
</html>
`;
    res.send(body.value);
  });
}
