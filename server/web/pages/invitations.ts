/** Invitations to organisations on My store: join or decline each (server/accounts/invitations.ts). */
import type { Router } from 'express';
import type { InvitationView } from '../../accounts/invitations.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { signedIn, type WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import type { WebServices } from '../services.js';
import { day } from './parts.js';

/** The notices My store shows after an answer (`/my?done=...`). */
export const INVITATION_DONE: Record<string, string> = {
  joined: 'You joined the organisation: its apps are below.',
  declined: 'The invitation is declined.',
};

export function invitationRoutes(router: Router, s: WebServices): void {
  const { invitations } = s.deps.accounts;
  const answering = async (ctx: WebContext) => {
    const me = signedIn(ctx);
    if (!(await s.deps.permissions.ownInvitations(me, 'answer')))
      throw new StoreError('forbidden', 'You may not answer await invitations.');
    return me;
  };

  router.post('/my/invitations/:org/accept', async (req, res) => {
    await invitations.accept(
      await answering(res.locals.web),
      String(req.params.org),
      addressOf(req),
    );
    res.redirect(303, '/my?done=joined');
  });

  router.post('/my/invitations/:org/decline', async (req, res) => {
    await invitations.decline(
      await answering(res.locals.web),
      String(req.params.org),
      addressOf(req),
    );
    res.redirect(303, '/my?done=declined');
  });
}

/** The pending invitations, each with its join and decline forms; nothing when there are none. */
export function invitationsSection(ctx: WebContext, pending: InvitationView[]): SafeHtml {
  if (pending.length === 0) return html``;
  return html`<section aria-labelledby="invitations-h" class="box"><h2 id="invitations-h">Invitations</h2>
<ul class="invitations">${pending.map((i) => {
    const action = `/my/invitations/${encodeURIComponent(i.org)}`;
    const org = i.orgDisplayName ? `${i.orgDisplayName} (${i.org})` : i.org;
    return html`<li><p><strong>${org}</strong> invites you as ${i.role} <span class="muted small">(${i.invitedBy}, ${day(i.invitedAt)})</span></p>
<form method="post" action="${action}/accept" class="inline">${csrfField(ctx)}<button type="submit" class="small">Join<span class="visually-hidden"> ${i.org}</span></button></form>
<form method="post" action="${action}/decline" class="inline">${csrfField(ctx)}<button type="submit" class="secondary small">Decline<span class="visually-hidden"> ${i.org}</span></button></form></li>`;
  })}</ul>
</section>`;
}
