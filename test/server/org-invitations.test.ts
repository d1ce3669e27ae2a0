/**
 * Organisation invitations (issue 13 §5): an owner's `PUT /orgs/{org}/members/{user}` of someone
 * who is not a member makes an invitation, not a member. The user sees it (API and web) and
 * joins with accept, or declines; the owner sees what is pending and may withdraw it. A member's
 * role still changes at once. The bootstrap admin and the app robots cannot be invited. Every
 * step is in the audit trail.
 */
import { expect } from 'chai';
import { api, loginWithPhone, type ApiAnswer, type ApiError } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

interface Invitation {
  org: string;
  orgDisplayName: string;
  user: string;
  role: string;
  invitedBy: string;
  invitedAt: string;
}

describe('orgs: members join by invitation', function () {
  this.timeout(30_000);
  let srv: TestServer;
  const token: Record<string, string> = {};

  const as = (user: string) => (user === 'admin' ? ADMIN_KEY : token[user]!);
  const put = (by: string, user: string, role: string, org = 'acme') =>
    api<{ invitation?: Invitation; members?: { name: string; role: string }[] } & ApiError>(
      srv,
      'PUT',
      `/api/v1/orgs/${org}/members/${encodeURIComponent(user)}`,
      { bearer: as(by), body: { role } },
    );
  const answer = (user: string, org: string, verb: 'accept' | 'decline', bearer = as(user)) =>
    api<ApiError & { namespace?: string; kind?: string; role?: string }>(
      srv,
      'POST',
      `/api/v1/users/me/invitations/${org}/${verb}`,
      { bearer },
    );
  const mine = async (user: string, bearer = as(user)): Promise<Invitation[]> => {
    const res = await api<{ invitations: Invitation[] }>(
      srv,
      'GET',
      '/api/v1/users/me/invitations',
      { bearer },
    );
    expect(res.status, res.text).to.equal(200);
    return res.body.invitations;
  };
  const pending = async (org = 'acme'): Promise<string[]> => {
    const res = await api<{ invitations: Invitation[] }>(
      srv,
      'GET',
      `/api/v1/orgs/${org}/invitations`,
      { bearer: as('alice') },
    );
    expect(res.status, res.text).to.equal(200);
    return res.body.invitations.map((i) => `${i.user}:${i.role}`);
  };
  const members = async (org = 'acme'): Promise<string[]> => {
    const res = await api<{ members: { name: string; role: string }[] }>(
      srv,
      'GET',
      `/api/v1/orgs/${org}/members`,
      { bearer: as('alice') },
    );
    return res.body.members.map((m) => `${m.name}:${m.role}`);
  };
  const createApp = (user: string, name: string): Promise<ApiAnswer> =>
    api(srv, 'POST', '/api/v1/apps', {
      bearer: as(user),
      body: { namespace: 'acme', name },
    });

  before(async () => {
    srv = await startTestServer();
    for (const [i, name] of ['alice', 'bob', 'carol', 'dave', 'erin'].entries())
      token[name] = (await loginWithPhone(srv, `+49151123416${i}0`, name)).token;
    const org = await api(srv, 'POST', '/api/v1/orgs', {
      bearer: as('alice'),
      body: { name: 'acme', displayName: 'Acme Corp' },
    });
    expect(org.status, org.text).to.equal(201);
  });
  after(() => srv?.close());

  it('makes an invitation, not a member, when an owner adds a user', async () => {
    const res = await put('alice', 'bob', 'maintainer');
    expect(res.status, res.text).to.equal(202);
    const { invitedAt, ...rest } = res.body.invitation!;
    expect(rest).to.deep.equal({
      org: 'acme',
      orgDisplayName: 'Acme Corp',
      user: 'bob',
      role: 'maintainer',
      invitedBy: 'alice',
    });
    expect(Date.parse(invitedAt)).to.be.closeTo(Date.now(), 60_000);
    expect(await members()).to.deep.equal(['alice:owner']);
    expect((await createApp('bob', 'early')).status, 'bob may not push yet').to.equal(403);
    expect(await mine('bob')).to.deep.equal([res.body.invitation]);
    expect(await pending()).to.deep.equal(['bob:maintainer']);
  });

  it('lets the user join with the invited role by accepting, once', async () => {
    const joined = await answer('bob', 'acme', 'accept');
    expect([joined.status, joined.body]).to.deep.equal([
      200,
      { namespace: 'acme', kind: 'org', role: 'maintainer' },
    ]);
    expect(await members()).to.deep.equal(['alice:owner', 'bob:maintainer']);
    expect(await mine('bob')).to.deep.equal([]);
    expect(await pending()).to.deep.equal([]);
    expect((await createApp('bob', 'joined')).status).to.equal(201);
    const again = await answer('bob', 'acme', 'accept');
    expect([again.status, again.body.error?.code]).to.deep.equal([404, 'not_found']);
  });

  it("changes a member's role at once", async () => {
    const res = await put('alice', 'bob', 'member');
    expect(res.status, res.text).to.equal(200);
    expect(res.body.members!.map((m) => `${m.name}:${m.role}`)).to.deep.equal([
      'alice:owner',
      'bob:member',
    ]);
    expect(await pending()).to.deep.equal([]);
  });

  it('lets the user decline, which leaves them out', async () => {
    expect((await put('alice', 'carol', 'member')).status).to.equal(202);
    const declined = await answer('carol', 'acme', 'decline');
    expect(declined.status, declined.text).to.equal(204);
    expect(await mine('carol')).to.deep.equal([]);
    expect(await pending()).to.deep.equal([]);
    expect(await members()).to.deep.equal(['alice:owner', 'bob:member']);
    expect((await answer('carol', 'acme', 'decline')).status).to.equal(404);
    expect((await answer('carol', 'acme', 'accept')).status).to.equal(404);
  });

  it('keeps one invitation per user: inviting again changes its role', async () => {
    expect((await put('alice', 'dave', 'member')).status).to.equal(202);
    expect((await put('alice', 'dave', 'owner')).status).to.equal(202);
    expect((await mine('dave')).map((i) => `${i.org}:${i.role}`)).to.deep.equal(['acme:owner']);
    expect(await pending()).to.deep.equal(['dave:owner']);
  });

  it('lets an owner withdraw an invitation with DELETE', async () => {
    const withdrawn = await api(srv, 'DELETE', '/api/v1/orgs/acme/members/dave', {
      bearer: as('alice'),
    });
    expect(withdrawn.status, withdrawn.text).to.equal(204);
    expect(await mine('dave')).to.deep.equal([]);
    expect(await pending()).to.deep.equal([]);
    expect((await answer('dave', 'acme', 'accept')).status).to.equal(404);
    expect(
      (await api(srv, 'DELETE', '/api/v1/orgs/acme/members/dave', { bearer: as('alice') })).status,
    ).to.equal(404);
  });

  it('lets only owners invite and see what is pending', async () => {
    const byMember = await put('bob', 'erin', 'member');
    expect([byMember.status, byMember.body.error?.code]).to.deep.equal([403, 'forbidden']);
    const peek = await api(srv, 'GET', '/api/v1/orgs/acme/invitations', { bearer: as('bob') });
    expect(peek.status).to.equal(403);
    expect((await put('alice', 'nobody-here', 'member')).status).to.equal(404);
    expect(await mine('erin')).to.deep.equal([]);
  });

  it('refuses to invite the admin account or an app robot, with a clear error', async () => {
    // A robot, as the Rainstore API makes one: push credentials for one of alice's apps.
    const app = await api<{ appKey: string }>(srv, 'POST', '/api/v1/apps', {
      bearer: as('alice'),
      body: { namespace: 'alice', name: 'blog' },
    });
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: as('alice'),
      body: { name: 'rainstore', scopes: ['push'] },
    });
    const hub = await api<{ hubUser: string }>(
      srv,
      'GET',
      `/app-server/openapi/apps/${app.body.appKey}/apphubinfo?marketDomain=appshelf`,
      { headers: { authorization: key.body.key } },
    );
    expect(hub.body.hubUser).to.match(/^robot\$/);
    const refusals = [];
    for (const user of ['admin', hub.body.hubUser]) {
      const res = await put('alice', user, 'member');
      refusals.push([res.status, res.body.error?.code, res.body.error?.details]);
      expect(res.body.error?.message).to.match(/cannot be invited/);
    }
    expect(refusals).to.deep.equal([
      [400, 'invalid', { field: 'user', reason: 'admin_account' }],
      [400, 'invalid', { field: 'user', reason: 'robot_account' }],
    ]);
    const byAdmin = await put('admin', 'admin', 'member');
    expect(byAdmin.status, 'not even by the admin').to.equal(400);
    expect(await pending()).to.deep.equal([]);
    expect(await mine('admin')).to.deep.equal([]);
  });

  it('lets a read key see invitations, but answering needs a session or a push key', async () => {
    expect((await put('alice', 'erin', 'member')).status).to.equal(202);
    const key = async (scopes: string[]) =>
      (
        await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
          bearer: as('erin'),
          body: { name: scopes.join('-'), scopes },
        })
      ).body.key;
    const read = await key(['read']);
    expect((await mine('erin', read)).map((i) => i.org)).to.deep.equal(['acme']);
    const refused = await answer('erin', 'acme', 'accept', read);
    expect([refused.status, refused.body.error?.code]).to.deep.equal([403, 'forbidden']);
    expect((await answer('erin', 'acme', 'decline', read)).status).to.equal(403);
    expect((await answer('erin', 'acme', 'accept', await key(['push']))).status).to.equal(200);
    expect(await members()).to.include('erin:member');
  });

  it('writes each step to the audit trail', async () => {
    const audit = await api<{ entries: { actor: string; action: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=500',
      { bearer: ADMIN_KEY },
    );
    const steps = audit.body.entries
      .filter((e) => /^(member|invitation)\./.test(e.action))
      .map((e) => `${e.actor} ${e.action} ${e.target}`)
      .reverse();
    expect(steps).to.deep.equal([
      'alice member.invited acme/bob',
      'bob invitation.accepted acme/bob',
      'alice member.set acme/bob',
      'alice member.invited acme/carol',
      'carol invitation.declined acme/carol',
      'alice member.invited acme/dave',
      'alice member.invited acme/dave',
      'alice invitation.withdrawn acme/dave',
      'alice member.invited acme/erin',
      'erin invitation.accepted acme/erin',
    ]);
  });

  describe('in the web', () => {
    let b: CookieBrowser;
    before(async () => {
      b = new CookieBrowser(srv);
      await b.signIn('+4915112341690', 'frank');
      token.frank = b.cookie('appshelf_session')!; // the session's token, for the API checks
      for (const name of ['globex', 'initech'])
        expect(
          (await api(srv, 'POST', '/api/v1/orgs', { bearer: as('alice'), body: { name } })).status,
        ).to.equal(201);
      for (const org of ['acme', 'globex', 'initech'])
        expect((await put('alice', 'frank', 'member', org)).status).to.equal(202);
    });

    it('shows pending invitations on My store, each with join and decline forms', async () => {
      const page = await b.request('GET', '/my');
      expect(page.status).to.equal(200);
      for (const org of ['acme', 'globex', 'initech']) {
        expect(page.text).to.contain(`action="/my/invitations/${org}/accept"`);
        expect(page.text).to.contain(`action="/my/invitations/${org}/decline"`);
      }
      expect(page.text).to.contain('Acme Corp');
    });

    it('refuses an answer without the form token, and changes nothing', async () => {
      for (const body of [undefined, new FormData()]) {
        const res = await b.send('POST', '/my/invitations/acme/accept', body);
        expect(res.status).to.equal(403);
      }
      expect(await members()).not.to.include('frank:member');
      expect((await mine('frank')).length).to.equal(3);
    });

    it('joins and declines with the forms', async () => {
      const csrf = await b.token('/my');
      const joined = await b.request('POST', '/my/invitations/acme/accept', { _csrf: csrf });
      expect([joined.status, joined.headers.get('location')]).to.deep.equal([
        303,
        '/my?done=joined',
      ]);
      const declined = await b.request('POST', '/my/invitations/globex/decline', { _csrf: csrf });
      expect([declined.status, declined.headers.get('location')]).to.deep.equal([
        303,
        '/my?done=declined',
      ]);
      expect(await members()).to.include('frank:member');
      expect(await members('globex')).not.to.include('frank:member');
      const page = await b.request('GET', '/my?done=joined');
      expect(page.text).to.contain('id="ns-acme"');
      expect(page.text).not.to.contain('action="/my/invitations/acme/accept"');
      expect(page.text).not.to.contain('action="/my/invitations/globex/accept"');
      expect(page.text).to.contain('action="/my/invitations/initech/accept"');
      expect(page.text).to.contain('role="status"');
    });
  });
});
