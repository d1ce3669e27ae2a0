import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { namespaceRepository } from '../../server/accounts/namespace-repository.js';
import { Namespaces } from '../../server/accounts/namespaces.js';
import { sessionRepository } from '../../server/accounts/session-repository.js';
import { Sessions } from '../../server/accounts/sessions.js';
import { userRepository } from '../../server/accounts/user-repository.js';
import { Users } from '../../server/accounts/users.js';
import { StoreError } from '../../server/errors.js';
import { describeDialects } from '../helpers/dialects.js';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describeDialects('users and namespaces', ({ open }) => {
  async function setup() {
    const store = await open();
    const namespaces = new Namespaces(namespaceRepository(store));
    const users = new Users(userRepository(store));
    return { store, namespaces, users };
  }

  it('a first login makes the user with their namespace once, also when two arrive at once', async () => {
    const { users, namespaces } = await setup();
    const [a, b] = await Promise.all([
      users.findOrCreateByPhone('+8613800138000', 'ada'),
      users.findOrCreateByPhone('+8613800138000', 'ada'),
    ]);
    expect([a.created, b.created].sort()).to.deep.equal([false, true]);
    expect(a.user.id).to.equal(b.user.id);
    expect(await namespaces.roleOf(a.user.id, 'ada')).to.equal('owner');
    expect(await namespaces.membershipsOf(a.user.id)).to.deep.equal([
      { namespace: 'ada', kind: 'user', role: 'owner' },
    ]);
    const taken = await rejection(users.findOrCreateByPhone('+8613800138001', 'ada'));
    expect(taken).to.be.instanceOf(StoreError).with.property('code', 'conflict');
    expect(await rejection(users.assertCanSignUp('+8613800138001', 'ada'))).to.be.instanceOf(
      StoreError,
    );
    const generated = await users.findOrCreateByPhone('+8613800138002');
    expect(generated.user.name).to.match(/^user-[0-9a-f]{8}$/);
    expect(await namespaces.exists(generated.user.name)).to.equal(true);
  });

  it('two first logins wanting one name: one gets it, the other a conflict', async () => {
    const { users } = await setup();
    const outcomes = await Promise.all(
      ['+8613800138000', '+8613800138001'].map((phone) =>
        rejection(users.findOrCreateByPhone(phone, 'ada')),
      ),
    );
    expect(outcomes.filter((o) => o === undefined)).to.have.length(1);
    expect(outcomes.find((o) => o !== undefined)).to.have.property('code', 'conflict');
  });

  it('profiles, roles, listing by name and disabling (which ends sessions)', async () => {
    const { store, users } = await setup();
    const sessions = new Sessions(sessionRepository(store), 3_600_000);
    const names = ['bob', 'ada', 'a_b', 'a-b'];
    const ids: number[] = [];
    for (const [i, name] of names.entries())
      ids.push((await users.findOrCreateByPhone(`+861380013800${i}`, name)).user.id);
    expect((await users.update(ids[0]!, { bio: 'hi', website: undefined })).bio).to.equal('hi');
    await users.setRole(ids[1]!, 'admin');
    expect((await users.byName('ada'))?.role).to.equal('admin');
    await users.setAvatar(ids[0]!, Buffer.from([1, 2, 3]), 'image/png');
    expect([...((await users.byId(ids[0]!))?.avatar ?? [])]).to.deep.equal([1, 2, 3]);
    // Byte order on both engines (PostgreSQL's locale would sort a_b before a-b, or ignore them).
    expect((await users.list({ limit: 10 })).map((u) => u.name)).to.deep.equal([
      'a-b',
      'a_b',
      'ada',
      'bob',
    ]);
    expect((await users.list({ after: 'ada', limit: 1 })).map((u) => u.name)).to.deep.equal([
      'bob',
    ]);
    const { token } = await sessions.create(ids[0]!, '');
    await users.setDisabled(ids[0]!, true);
    await users.setDisabled(ids[0]!, false);
    expect(await sessions.authenticate(token)).to.equal(undefined);
    const admin = await users.create({
      name: 'admin',
      role: 'admin',
      displayName: 'Administrator',
    });
    expect((await users.byName('admin'))?.id).to.equal(admin.id);
  });

  it('organisation names are unique and an organisation keeps its owner', async () => {
    const { users, namespaces } = await setup();
    const ada = (await users.findOrCreateByPhone('+8613800138000', 'ada')).user;
    const bob = (await users.findOrCreateByPhone('+8613800138001', 'bob')).user;
    await namespaces.createOrg('acme', 'Acme', ada.id);
    expect(await rejection(namespaces.createOrg('acme', 'Again', bob.id))).to.have.property(
      'code',
      'conflict',
    );
    expect(await rejection(namespaces.createOrg('ada', 'Ada', bob.id))).to.have.property(
      'code',
      'conflict',
    );
    expect(await namespaces.changeRole('acme', bob.id, 'owner')).to.equal(false);
    expect(await rejection(namespaces.changeRole('ada', bob.id, 'owner'))).to.have.property(
      'code',
      'invalid',
    );
    expect(await rejection(namespaces.removeMember('acme', ada.id))).to.have.property(
      'code',
      'conflict',
    );
    expect((await namespaces.members('acme')).map((m) => [m.name, m.role])).to.deep.equal([
      ['ada', 'owner'],
    ]);
  });

  it('lists organisations by name with their member and app counts, users left out', async () => {
    const { store, users, namespaces } = await setup();
    const ada = (await users.findOrCreateByPhone('+8613800138000', 'ada')).user;
    const bob = (await users.findOrCreateByPhone('+8613800138001', 'bob')).user;
    await namespaces.createOrg('zeta', 'Zeta', ada.id);
    await namespaces.createOrg('beta', 'Beta', bob.id);
    await namespaces.createOrg('acme', 'Acme', ada.id);
    const add = sql`INSERT INTO namespace_members (namespace_id, user_id, role, created_at) SELECT id, ${bob.id}, 'member', 1 FROM namespaces WHERE name = 'acme'`;
    if (store.dialect === 'sqlite') store.db.run(add);
    else await store.db.execute(add);
    for (const app of ['one', 'two']) {
      const row = sql`INSERT INTO apps (app_key, namespace, name, created_at, updated_at) VALUES (${app}, 'acme', ${app}, 1, 1)`;
      if (store.dialect === 'sqlite') store.db.run(row);
      else await store.db.execute(row);
    }
    expect(await namespaces.orgSummaries(10)).to.deep.equal([
      { name: 'acme', displayName: 'Acme', members: 2, apps: 2 },
      { name: 'beta', displayName: 'Beta', members: 1, apps: 0 },
      { name: 'zeta', displayName: 'Zeta', members: 1, apps: 0 },
    ]);
    expect((await namespaces.orgSummaries(1)).map((o) => o.name)).to.deep.equal(['acme']);
  });
});
