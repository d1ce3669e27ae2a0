import { expect } from 'chai';
import type { AuditLog } from '../../server/accounts/audit-log.js';
import { invitationRepository } from '../../server/accounts/invitation-repository.js';
import { Invitations } from '../../server/accounts/invitations.js';
import { namespaceRepository } from '../../server/accounts/namespace-repository.js';
import { Namespaces } from '../../server/accounts/namespaces.js';
import { userRepository } from '../../server/accounts/user-repository.js';
import { Users } from '../../server/accounts/users.js';
import { describeDialects } from '../helpers/dialects.js';

describeDialects('organisation invitations', ({ open }) => {
  async function setup() {
    const store = await open();
    const namespaces = new Namespaces(namespaceRepository(store));
    const users = new Users(userRepository(store));
    const recorded: string[] = [];
    const audit = { record: (e: { action: string }) => void recorded.push(e.action) };
    const invitations = new Invitations({
      repository: invitationRepository(store),
      namespaces,
      audit: audit as unknown as AuditLog,
      clock: Date.now,
    });
    const ada = (await users.findOrCreateByPhone('+8613800138000', 'ada')).user;
    const bob = (await users.findOrCreateByPhone('+8613800138001', 'bob')).user;
    await namespaces.createOrg('acme', 'Acme', ada.id);
    const owner = { userId: ada.id, name: 'ada' };
    const me = { userId: bob.id, name: 'bob' };
    return { namespaces, invitations, bob, owner, me, recorded };
  }

  it('invite, list, accept once (also when accepted twice at once), and refuse a member', async () => {
    const { namespaces, invitations, bob, owner, me, recorded } = await setup();
    await invitations.invite(owner, 'acme', bob, 'member', '');
    await invitations.invite(owner, 'acme', bob, 'maintainer', '');
    expect((await invitations.forUser(bob.id)).map((i) => [i.org, i.role])).to.deep.equal([
      ['acme', 'maintainer'],
    ]);
    expect(await invitations.inOrg('acme')).to.have.length(1);
    const outcomes = await Promise.allSettled([
      invitations.accept(me, 'acme', ''),
      invitations.accept(me, 'acme', ''),
    ]);
    expect(outcomes.map((o) => o.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    expect(await namespaces.roleOf(bob.id, 'acme')).to.equal('maintainer');
    const again = await invitations.invite(owner, 'acme', bob, 'member', '').catch((e) => e);
    expect(again).to.have.property('code', 'conflict');
    expect(recorded).to.deep.equal(['member.invited', 'member.invited', 'invitation.accepted']);
  });

  it('decline and withdraw use the invitation up', async () => {
    const { invitations, bob, owner, me } = await setup();
    await invitations.invite(owner, 'acme', bob, 'member', '');
    await invitations.decline(me, 'acme', '');
    expect(await invitations.decline(me, 'acme', '').catch((e) => e)).to.have.property(
      'code',
      'not_found',
    );
    await invitations.invite(owner, 'acme', bob, 'member', '');
    expect(await invitations.withdraw(owner, 'acme', bob, '')).to.equal(true);
    expect(await invitations.withdraw(owner, 'acme', bob, '')).to.equal(false);
    expect(await invitations.forUser(bob.id)).to.deep.equal([]);
  });
});
