/** My profile: display name, bio, website and avatar, as the publisher page shows them. */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { publicProfile } from '../../accounts/users.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { logoTypeOf } from '../../store/app-service.js';
import { signedIn } from '../context.js';
import { field, formOf, uploadOf } from '../form.js';
import { html } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';

export const MAX_AVATAR_BYTES = 512 * 1024;
const Change = z.strictObject({
  displayName: z.string().trim().max(64, 'at most 64 characters'),
  bio: z.string().max(500, 'at most 500 characters'),
  website: z.union([
    z.literal(''),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(200),
  ]),
});
const DONE: Record<string, string> = {
  saved: 'Your profile is saved.',
  avatar: 'Your avatar is changed.',
  '1': 'Welcome! Tell people who publishes your apps.',
};

export function profileRoutes(router: Router, s: WebServices): void {
  const { users, audit } = s.deps.accounts;

  const show = async (
    req: Request,
    res: Response,
    st: {
      error?: string;
      status?: number;
      draft?: { displayName: string; bio: string; website: string };
    } = {},
  ): Promise<void> => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const user = await users.byId(me.userId);
    if (!user) throw new StoreError('not_found', 'no such user');
    const profile = publicProfile(user);
    const d = st.draft ?? {
      displayName: profile.displayName,
      bio: profile.bio,
      website: profile.website,
    };
    const doneKey =
      typeof req.query.done === 'string'
        ? req.query.done
        : typeof req.query.welcome === 'string'
          ? '1'
          : '';
    const body = html`<div class="wrap">
<h1>Profile</h1>
<nav class="subnav" aria-label="My store"><a href="/my">Apps</a><a href="/my/orgs">Organisations</a><a href="/my/keys">Access keys</a><a href="/my/profile" aria-current="page">Profile</a></nav>
${notice(st.error, 'error')}${st.error ? '' : notice(DONE[doneKey])}
<p>You publish as <code>${user.name}</code>: <a href="/publishers/${encodeURIComponent(user.name)}">see your publisher page</a>.</p>
<form method="post" action="/my/profile" class="stack">${csrfField(ctx)}
<label for="displayName">Display name</label><input id="displayName" name="displayName" maxlength="64" value="${d.displayName}">
<label for="bio">About you</label><textarea id="bio" name="bio" rows="4" maxlength="500">${d.bio}</textarea>
<label for="website">Website</label><input id="website" name="website" type="url" value="${d.website}" placeholder="https://">
<div class="buttons"><button type="submit">Save</button></div>
</form>
<section aria-labelledby="avatar-h"><h2 id="avatar-h">Avatar</h2>
${profile.avatarUrl ? html`<p><img class="avatar" src="${profile.avatarUrl}" alt="Your avatar" width="96" height="96"></p>` : ''}
<form method="post" action="/my/profile/avatar" enctype="multipart/form-data" class="stack">${csrfField(ctx)}
<label for="avatar">Image (PNG or JPEG, at most 512 KiB)</label><input id="avatar" name="avatar" type="file" accept="image/png,image/jpeg" required>
<div class="buttons"><button type="submit">Upload</button></div>
</form></section>
</div>`;
    res
      .status(st.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Profile',
          description: 'Your public profile.',
          noindex: true,
          body,
        }),
      );
  };

  router.get('/my/profile', async (req, res) => show(req, res));

  router.post('/my/profile', async (req, res) => {
    const me = signedIn(res.locals.web);
    const form = formOf(req);
    const draft = {
      displayName: field(form, 'displayName'),
      bio: field(form, 'bio').replace(/\r\n/g, '\n'),
      website: field(form, 'website').trim(),
    };
    const parsed = Change.safeParse(draft);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return show(req, res, {
        draft,
        status: 400,
        error: `${String(issue?.path[0] ?? 'form')}: ${issue?.message ?? 'not valid'}`,
      });
    }
    await users.update(me.userId, parsed.data);
    await audit.record({
      actor: me.name,
      action: 'user.updated',
      target: me.name,
      address: addressOf(req),
      detail: { fields: Object.keys(parsed.data) },
    });
    res.redirect(303, '/my/profile?done=saved');
  });

  router.post('/my/profile/avatar', async (req, res) => {
    const ctx = res.locals.web;
    const file = uploadOf(req, 'avatar'); // read and CSRF-checked by the router (index.ts)
    const me = signedIn(ctx);
    const type = file && file.bytes.length <= MAX_AVATAR_BYTES ? logoTypeOf(file.bytes) : undefined;
    if (!file || !type || type === 'image/svg+xml')
      return show(req, res, {
        status: 400,
        error: 'The avatar must be a PNG or JPEG image of at most 512 KiB.',
      });
    await users.setAvatar(me.userId, file.bytes, type);
    await audit.record({
      actor: me.name,
      action: 'user.avatar',
      target: me.name,
      address: addressOf(req),
      detail: { type, bytes: file.bytes.length },
    });
    res.redirect(303, '/my/profile?done=avatar');
  });
}
