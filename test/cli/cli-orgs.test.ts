/**
 * The real `appshelf` binary against a started store: an organisation made with `org create`,
 * a user invited with `org invite`, who sees it with `invitations` and joins with `invitations
 * accept`; `org role` and `org members` (owners also see who is invited), `org remove` of a
 * member and of an invitation (withdrawn), a decline, and the refusals: a member who is no owner,
 * an unknown role (usage, exit 2), the last owner kept, a bad name. Two users, each with an
 * access key in their own settings file, as `appshelf login` writes it.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliIn, type CliOptions } from './run-cli.js';

describe('cli: organisations (org create|members|invite|role|remove, invitations)', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let dir = '';
  const cli = cliIn(() => dir);
  const as = (user: string): CliOptions => ({ config: join(dir, `${user}.json`) });

  /** A user signed in by phone, with a push key kept in `<name>.json` as `appshelf login` keeps it. */
  async function userWithKey(phone: string, name: string): Promise<void> {
    const { token } = await loginWithPhone(srv, phone, name);
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: token,
      body: { name: 'cli', scopes: ['read', 'install', 'push'] },
    });
    expect(key.status, key.text).to.equal(201);
    await writeFile(
      join(dir, `${name}.json`),
      JSON.stringify({
        defaultStore: srv.host,
        stores: { [srv.host]: { url: srv.url, username: name, key: key.body.key } },
      }),
      { mode: 0o600 },
    );
  }

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-orgs-'));
    await userWithKey('+4915112340401', 'rita');
    await userWithKey('+4915112340402', 'sam');
    await userWithKey('+4915112340403', 'tom');
  });

  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates an organisation; a bad or taken name is refused', async () => {
    const out = await cli.ok(
      ['org', 'create', 'rivers', '--display-name', 'Rivers Inc'],
      as('rita'),
    );
    expect(out).to.contain('created organisation rivers (Rivers Inc); you are its owner');
    const bad = await cli.run(['org', 'create', 'Not Valid'], as('rita'));
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(
      /^appshelf: the store refused the request \(invalid: organisation name/,
    );
    const taken = await cli.run(['org', 'create', 'sam'], as('rita'));
    expect(taken.code).to.equal(1);
    expect(taken.stderr).to.contain('conflict: the name "sam" is taken');
    const org = await api<{ displayName: string }>(srv, 'GET', '/api/v1/orgs/rivers');
    expect(org.body.displayName).to.equal('Rivers Inc');
  });

  it('invites; the invited user lists the invitation and accepts it', async () => {
    expect(
      await cli.ok(['org', 'invite', 'rivers', 'sam', '--role', 'maintainer'], as('rita')),
    ).to.contain(
      'invited sam to rivers as maintainer; they join with: appshelf invitations accept rivers',
    );
    const bad = await cli.run(['org', 'invite', 'rivers', 'sam', '--role', 'boss'], as('rita'));
    expect(bad.code, 'an unknown role is a usage error').to.equal(2);
    expect(bad.stderr).to.contain('"boss" is no role; use owner, maintainer, member');
    const listed = await cli.ok(['invitations'], as('sam'));
    expect(listed).to.match(/^ORGANISATION\s+DISPLAY NAME\s+ROLE\s+INVITED BY/m);
    expect(listed).to.match(/^rivers\s+Rivers Inc\s+maintainer\s+rita\s/m);
    const asJson = await cli.okJson<{ org: string; role: string }[]>(['invitations'], as('sam'));
    expect(asJson.map((i) => `${i.org} ${i.role}`)).to.deep.equal(['rivers maintainer']);
    expect(await cli.ok(['invitations', 'accept', 'rivers'], as('sam'))).to.contain(
      'joined rivers as maintainer',
    );
    expect(await cli.ok(['invitations'], as('sam'))).to.contain('no invitation is waiting');
  });

  it('lists members (owners also see the invited), changes a role, keeps the last owner', async () => {
    await cli.ok(['org', 'invite', 'rivers', 'tom'], as('rita'));
    const owner = await cli.ok(['org', 'members', 'rivers'], as('rita'));
    expect(owner).to.match(/^rita\s+-\s+owner\s/m);
    expect(owner).to.match(/^sam\s+-\s+maintainer\s/m);
    expect(owner).to.match(/^INVITED\s+ROLE\s+BY/m);
    expect(owner).to.match(/^tom\s+member\s+rita\s/m);
    const member = await cli.ok(['org', 'members', 'rivers'], as('sam'));
    expect(member, 'a maintainer sees no invitations').not.to.contain('INVITED');
    expect(await cli.ok(['org', 'role', 'rivers', 'sam', 'owner'], as('rita'))).to.contain(
      'sam is now owner of rivers',
    );
    const json = await cli.okJson<{ members: { name: string; role: string }[] }>(
      ['org', 'members', 'rivers'],
      as('sam'),
    );
    expect(json.members.map((m) => `${m.name} ${m.role}`)).to.deep.equal([
      'rita owner',
      'sam owner',
    ]);
    await cli.ok(['org', 'role', 'rivers', 'sam', 'member'], as('rita'));
    const lastOwner = await cli.run(['org', 'role', 'rivers', 'rita', 'member'], as('rita'));
    expect(lastOwner.code).to.equal(1);
    expect(lastOwner.stderr).to.contain('an organisation must keep at least one owner');
    const notMember = await cli.run(['org', 'role', 'rivers', 'tom', 'owner'], as('rita'));
    expect(notMember.code, 'a role for someone only invited').to.equal(2);
    expect(notMember.stderr).to.contain('tom is not a member of rivers; invite them');
  });

  it('refuses changes by a member who is no owner', async () => {
    const refused = await cli.run(['org', 'invite', 'rivers', 'tom', '--role', 'owner'], as('sam'));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('does not allow this (only owners manage members)');
    const remove = await cli.run(['org', 'remove', 'rivers', 'rita'], as('sam'));
    expect(remove.code).to.equal(1);
    expect(remove.stderr).to.contain('only owners manage members');
  });

  it('withdraws an invitation, removes a member, and a declined invitation is gone', async () => {
    expect(await cli.ok(['org', 'remove', 'rivers', 'tom'], as('rita'))).to.contain(
      'withdrew the invitation of tom to rivers',
    );
    expect(await cli.ok(['invitations'], as('tom'))).to.contain('no invitation is waiting');
    expect(await cli.ok(['org', 'remove', 'rivers', 'sam'], as('rita'))).to.contain(
      'removed sam from rivers',
    );
    const gone = await cli.run(['org', 'members', 'rivers'], as('sam'));
    expect(gone.code, 'no longer a member').to.equal(1);
    await cli.ok(['org', 'invite', 'rivers', 'tom'], as('rita'));
    expect(await cli.ok(['invitations', 'decline', 'rivers'], as('tom'))).to.contain(
      'declined the invitation to rivers',
    );
    const members = await cli.okJson<{ members: { name: string }[]; invitations: unknown[] }>(
      ['org', 'members', 'rivers'],
      as('rita'),
    );
    expect(members.members.map((m) => m.name)).to.deep.equal(['rita']);
    expect(members.invitations).to.deep.equal([]);
  });

  it('a member leaves with org remove of their own name', async () => {
    await cli.ok(['org', 'invite', 'rivers', 'sam'], as('rita'));
    await cli.ok(['invitations', 'accept', 'rivers'], as('sam'));
    expect(await cli.ok(['org', 'remove', 'rivers', 'sam'], as('sam'))).to.contain(
      'you left rivers',
    );
  });
});
