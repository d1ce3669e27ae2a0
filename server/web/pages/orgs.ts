/**
 * Organisations on My store: `/my/orgs` lists one's organisations and creates one;
 * `/my/orgs/{org}` shows its members, and lets its owners invite, change roles, remove members
 * and withdraw invitations (and any member leave). Every change goes through the Organisations
 * service the /api/v1/orgs routes use, so the permissions and the audit rows are the API's.
 * Forms post here (CSRF-checked by the router) and come back with a notice (Post/Redirect/Get);
 * a refused change shows its reason on the page it came from.
 */
import type { Request, Response, Router } from 'express';
import type { MemberRole } from '../../accounts/namespaces.js';
import type { OrgCaller } from '../../accounts/organisations.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { Membership, NewOrg, OrgChange } from '../../routes/orgs.js';
import { logoTypeOf } from '../../store/app-service.js';
import { signedIn } from '../context.js';
import { field, formOf, uploadOf } from '../form.js';
import { html } from '../html.js';
import { notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import {
  createOrgForm,
  invitationsBox,
  membersTable,
  ORG_DONE,
  orgProfileBox,
  orgList,
  orgPath,
  subnav,
  visibilityForm,
} from './orgs-view.js';

interface Shown {
  error?: string;
  status?: number;
  typed?: Record<string, string>;
  /** The profile form as typed, after a refused save. */
  profile?: Record<string, string>;
}

export function orgRoutes(router: Router, s: WebServices): void {
  const orgs = s.orgs;
  const doneOf = (req: Request) =>
    typeof req.query.done === 'string' ? ORG_DONE[req.query.done] : undefined;
  const callerOf = (req: Request, res: Response): OrgCaller => ({
    principal: signedIn(res.locals.web),
    address: addressOf(req),
  });

  const showList = async (req: Request, res: Response, shown: Shown = {}) => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const body = html`<div class="wrap my-orgs">
<h1>Organisations</h1>
${subnav('orgs')}
${notice(shown.error, 'error')}${shown.error ? '' : notice(doneOf(req))}
${orgList(await orgs.mine(me))}
${createOrgForm(ctx, shown.typed ?? {})}
</div>`;
    res
      .status(shown.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Organisations',
          description: 'Your organisations, and a new one.',
          noindex: true,
          body,
        }),
      );
  };

  const showOrg = async (req: Request, res: Response, shown: Shown = {}) => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const org = await orgs.get(String(req.params.org));
    const members = await orgs.members(me, org.name);
    const manages = await orgs.mayManage(me, org.name);
    const title = org.displayName || org.name;
    const body = html`<div class="wrap my-org">
<p class="crumbs"><a href="/my">My store</a> › <a href="/my/orgs">Organisations</a> › <code>${org.name}</code></p>
<h1>${title}</h1>
<p class="muted">Organisation <code>${org.name}</code> · <a href="/publishers/${encodeURIComponent(org.name)}">its publisher page</a></p>
${notice(shown.error, 'error')}${shown.error ? '' : notice(doneOf(req))}
<section aria-labelledby="members-h"><h2 id="members-h">Members</h2>
${membersTable(ctx, org.name, members, manages)}
${visibilityForm(
  ctx,
  org.name,
  members.find((m) => m.name === me.name),
)}
</section>
${manages ? invitationsBox(ctx, org.name, await orgs.pending(me, org.name), shown.typed ?? {}) : ''}
${(await orgs.mayEditProfile(me, org.name)) ? orgProfileBox(ctx, org, shown.profile) : ''}
</div>`;
    res
      .status(shown.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: `Members of ${title}`,
          description: `The members of ${org.name} and their roles.`,
          noindex: true,
          body,
        }),
      );
  };

  /** Runs a change; a refused one is shown on its page with the reason (and what was typed). */
  const act =
    (
      show: typeof showOrg,
      change: (req: Request, res: Response) => Promise<string>,
      typed: (req: Request) => Record<string, string> = () => ({}),
    ) =>
    async (req: Request, res: Response) => {
      try {
        res.redirect(303, await change(req, res));
      } catch (err) {
        if (!(err instanceof StoreError) || err.status >= 500) throw err;
        await show(req, res, { error: err.message, status: err.status, typed: typed(req) });
      }
    };

  const roleOf = (req: Request): MemberRole =>
    parseInput(Membership, { role: field(formOf(req), 'role') }, 'role').role as MemberRole;
  const orgOf = (req: Request) => String(req.params.org);
  const userOf = (req: Request) => String(req.params.user);

  router.get('/my/orgs', (req, res) => showList(req, res));
  router.post(
    '/my/orgs',
    act(
      showList,
      async (req, res) => {
        const form = formOf(req);
        const input = parseInput(
          NewOrg,
          { name: field(form, 'name').trim(), displayName: field(form, 'displayName') },
          'organisation',
        );
        const org = await orgs.create(callerOf(req, res), input.name, input.displayName);
        return `${orgPath(org.name)}?done=created`;
      },
      (req) => ({
        name: field(formOf(req), 'name'),
        displayName: field(formOf(req), 'displayName'),
      }),
    ),
  );

  router.get('/my/orgs/:org', (req, res) => showOrg(req, res));
  router.post(
    '/my/orgs/:org/invitations',
    act(
      showOrg,
      async (req, res) => {
        const user = field(formOf(req), 'user').trim();
        if (!user) throw new StoreError('invalid', 'User name: whom to invite is needed');
        await orgs.invite(callerOf(req, res), orgOf(req), user, roleOf(req));
        return `${orgPath(orgOf(req))}?done=invited`;
      },
      (req) => ({ user: field(formOf(req), 'user'), role: field(formOf(req), 'role') }),
    ),
  );
  router.post(
    '/my/orgs/:org/invitations/:user/withdraw',
    act(showOrg, async (req, res) => {
      await orgs.withdraw(callerOf(req, res), orgOf(req), userOf(req));
      return `${orgPath(orgOf(req))}?done=withdrawn`;
    }),
  );
  router.post(
    '/my/orgs/:org/members/:user/role',
    act(showOrg, async (req, res) => {
      await orgs.changeRole(callerOf(req, res), orgOf(req), userOf(req), roleOf(req));
      return `${orgPath(orgOf(req))}?done=role-changed`;
    }),
  );
  const profileOf = (req: Request) => {
    const form = formOf(req);
    return {
      displayName: field(form, 'displayName'),
      about: field(form, 'about').replace(/\r\n/g, '\n'),
      website: field(form, 'website').trim(),
    };
  };
  router.post('/my/orgs/:org/profile', async (req, res) => {
    try {
      const change = parseInput(OrgChange, profileOf(req), 'profile');
      await orgs.updateProfile(callerOf(req, res), orgOf(req), change);
      res.redirect(303, `${orgPath(orgOf(req))}?done=profile`);
    } catch (err) {
      if (!(err instanceof StoreError) || err.status >= 500) throw err;
      await showOrg(req, res, { error: err.message, status: err.status, profile: profileOf(req) });
    }
  });
  router.post(
    '/my/orgs/:org/logo',
    act(showOrg, async (req, res) => {
      const file = uploadOf(req, 'logo'); // read and CSRF-checked by the router (index.ts)
      const type = file ? logoTypeOf(file.bytes) : undefined;
      // SVG is refused: the logo is served from the store's origin, where a script in it would run.
      if (!file || !type || type === 'image/svg+xml')
        throw new StoreError('invalid', 'The logo must be a PNG or JPEG image of at most 512 KiB.');
      await orgs.setLogo(callerOf(req, res), orgOf(req), { bytes: file.bytes, type });
      return `${orgPath(orgOf(req))}?done=logo`;
    }),
  );
  router.post(
    '/my/orgs/:org/logo/remove',
    act(showOrg, async (req, res) => {
      await orgs.setLogo(callerOf(req, res), orgOf(req), null);
      return `${orgPath(orgOf(req))}?done=logo-removed`;
    }),
  );
  router.post(
    '/my/orgs/:org/members/:user/visibility',
    act(showOrg, async (req, res) => {
      const visible = field(formOf(req), 'public') === 'true';
      await orgs.setPublic(callerOf(req, res), orgOf(req), userOf(req), visible);
      return `${orgPath(orgOf(req))}?done=${visible ? 'shown' : 'hidden'}`;
    }),
  );
  router.post(
    '/my/orgs/:org/members/:user/remove',
    act(showOrg, async (req, res) => {
      const by = callerOf(req, res);
      await orgs.remove(by, orgOf(req), userOf(req));
      // Who left is no member any more: back to their list of organisations.
      return userOf(req) === by.principal.name
        ? '/my/orgs?done=left'
        : `${orgPath(orgOf(req))}?done=removed`;
    }),
  );
}
