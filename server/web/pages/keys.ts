/** Access keys: create one with scopes (its secret shown once, with a copy button), list, revoke. */
import type { Request, Response, Router } from 'express';
import { KEY_SCOPES, type KeyScope } from '../../auth/principal.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { signedIn } from '../context.js';
import { field, fieldList, formOf } from '../form.js';
import { html } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { dateTime, day } from './parts.js';

const SCOPE_HELP: Record<KeyScope, string> = {
  read: 'read: browse and pull listed and own apps',
  install: 'install: fetch templates to install (a Rainbond console needs this)',
  push: 'push: push versions, change apps (docker, skopeo, oras, appshelf push)',
};
const EXPIRY_DAYS = [0, 30, 90, 365];

export function keyRoutes(router: Router, s: WebServices): void {
  const { keys, accounts, clock } = s.deps;

  const show = async (
    req: Request,
    res: Response,
    st: {
      created?: { name: string; key: string };
      error?: string;
      done?: string;
      status?: number;
    } = {},
  ): Promise<void> => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const list = await keys.list(me.userId);
    const body = html`<div class="wrap">
<h1>Access keys</h1>
<nav class="subnav" aria-label="My store"><a href="/my">Apps</a><a href="/my/orgs">Organisations</a><a href="/my/keys" aria-current="page">Access keys</a><a href="/my/profile">Profile</a></nav>
${notice(st.error, 'error')}${notice(st.done)}
${
  st.created
    ? html`<section class="secret box" aria-labelledby="secret-h"><h2 id="secret-h">Your new key “${st.created.name}”</h2>
<p><strong>Copy it now: it is shown only this once.</strong> Use it as the password with your user name <code>${me.name}</code> (docker, podman, skopeo, oras login ${ctx.host}), or give it to a Rainbond console.</p>
<div class="copy-row"><code id="new-key" class="copy-text" tabindex="0" data-secret>${st.created.key}</code><button type="button" class="copy" data-copy="new-key" hidden>Copy</button></div>
</section>`
    : ''
}
<section aria-labelledby="create-h" class="box"><h2 id="create-h">Create a key</h2>
<form method="post" action="/my/keys" class="stack">${csrfField(ctx)}
<label for="key-name">Name</label><input id="key-name" name="name" required maxlength="64" placeholder="e.g. laptop, ci, rainbond">
<fieldset><legend>Scopes</legend>${KEY_SCOPES.map((sc) => html`<label class="check"><input type="checkbox" name="scopes" value="${sc}"${sc !== 'push' ? html` checked` : ''}> ${SCOPE_HELP[sc]}</label>`)}</fieldset>
<label for="key-expiry">Expires</label><select id="key-expiry" name="expiresInDays">${EXPIRY_DAYS.map((d) => html`<option value="${d}">${d ? `in ${d} days` : 'never'}</option>`)}</select>
<div class="buttons"><button type="submit">Create key</button></div>
</form></section>
<section aria-labelledby="list-h"><h2 id="list-h">Your keys</h2>
${
  list.length
    ? html`<div class="table-scroll"><table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${list.map(
        (
          k,
        ) => html`<tr><th scope="row">${k.name}</th><td><code>${k.prefix}…</code></td><td>${k.scopes.join(', ')}</td><td>${day(k.createdAt)}</td><td>${k.lastUsedAt ? dateTime(k.lastUsedAt) : 'never'}</td><td>${k.expiresAt ? day(k.expiresAt) : 'never'}</td>
<td><form method="post" action="/my/keys/${k.id}/revoke" class="inline" data-confirm="Revoke the key ${k.name}? Whatever uses it stops working at once.">${csrfField(ctx)}<button type="submit" class="danger small">Revoke<span class="visually-hidden"> ${k.name}</span></button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No keys yet.</p>`
}
</section>
</div>`;
    res
      .status(st.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Access keys',
          description: 'Your access keys.',
          noindex: true,
          body,
        }),
      );
  };

  router.get('/my/keys', (req, res) =>
    show(
      req,
      res,
      typeof req.query.done === 'string' && req.query.done === 'revoked'
        ? { done: 'The key is revoked.' }
        : {},
    ),
  );

  router.post('/my/keys', async (req, res) => {
    const me = signedIn(res.locals.web);
    const form = formOf(req);
    const name = field(form, 'name').trim();
    const scopes = [...new Set(fieldList(form, 'scopes'))].filter((x): x is KeyScope =>
      (KEY_SCOPES as readonly string[]).includes(x),
    );
    const days = Number(field(form, 'expiresInDays') || 0);
    try {
      if (!name || name.length > 64)
        throw new StoreError('invalid', 'Give the key a name of at most 64 characters.');
      if (scopes.length === 0) throw new StoreError('invalid', 'Choose at least one scope.');
      if (!EXPIRY_DAYS.includes(days))
        throw new StoreError('invalid', 'Choose when the key expires.');
      const created = await accounts.ownKeys.create(
        me,
        { name, scopes, expiresAt: days ? clock() + days * 86_400_000 : undefined },
        addressOf(req),
      );
      await show(req, res, { created: { name, key: created.key } });
    } catch (err) {
      if (!(err instanceof StoreError) || err.status >= 500) throw err;
      await show(req, res, { error: err.message, status: err.status });
    }
  });

  router.post('/my/keys/:id/revoke', async (req, res) => {
    const me = signedIn(res.locals.web);
    await accounts.ownKeys.revoke(me, Number(req.params.id), addressOf(req));
    res.redirect(303, '/my/keys?done=revoked');
  });
}
