import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { namespaceRepository } from '../../server/accounts/namespace-repository.js';
import { Namespaces } from '../../server/accounts/namespaces.js';
import { accessDirectory } from '../../server/auth/access-directory.js';
import { accessKeyRepository } from '../../server/auth/access-key-repository.js';
import { AccessKeys } from '../../server/auth/access-keys.js';
import { Permissions, robotName } from '../../server/auth/permissions.js';
import type { Principal } from '../../server/auth/principal.js';
import { ANONYMOUS } from '../../server/auth/principal.js';
import type { StoreDatabase } from '../../server/db/store-database.js';
import { describeDialects } from '../helpers/dialects.js';
import { insertUser, run } from '../helpers/account-rows.js';

/**
 * The permission module over each engine's access directory: the same decisions from the same
 * rows; SQLite's are values (no microtask on the registry's path), PostgreSQL's promises.
 * test/server/permission-table.test.ts pins every rule through the running server.
 */
describeDialects('permissions over the access directory', ({ dialect, open }) => {
  const NOW = 1_000;
  let store: StoreDatabase;
  let ids: Record<'ada' | 'bob' | 'eve' | 'root', number>;

  const user = (name: keyof typeof ids, extra: Partial<Principal> = {}): Principal =>
    ({
      kind: 'user',
      userId: ids[name],
      name,
      role: name === 'root' ? 'admin' : 'user',
      ...extra,
    }) as Principal;

  /** Asks; on SQLite the answer must be a value, never a promise. */
  async function ask<T>(answer: T | Promise<T>): Promise<T> {
    if (dialect === 'sqlite') expect(answer).to.not.be.instanceOf(Promise);
    return answer;
  }

  async function app(name: string, listed: boolean, extra: { key?: string; mirror?: string } = {}) {
    const yes = dialect === 'sqlite' ? (listed ? 1 : 0) : listed;
    await run(
      store,
      sql`INSERT INTO apps (app_key, namespace, name, listed, mirror_upstream, created_at, updated_at) VALUES (${extra.key ?? `key-${name}`}, 'team', ${name}, ${yes}, ${extra.mirror ?? null}, 1, 1)`,
    );
  }

  const permissions = (anonymousPull = false) =>
    new Permissions({ anonymousPull }, accessDirectory(store), () => NOW);

  beforeEach(async () => {
    store = await open();
    ids = {
      ada: await insertUser(store, 'ada'),
      bob: await insertUser(store, 'bob'),
      eve: await insertUser(store, 'eve'),
      root: await insertUser(store, 'root'),
    };
    await run(store, sql`UPDATE users SET role = 'admin' WHERE name = 'root'`);
    const namespaces = new Namespaces(namespaceRepository(store), () => 1);
    await namespaces.createOrg('team', 'Team', ids.ada);
    await run(
      store,
      sql`INSERT INTO namespace_members (namespace_id, user_id, role, created_at) SELECT id, ${ids.bob}, 'member', 1 FROM namespaces WHERE name = 'team'`,
    );
    await app('shown', true);
    await app('hidden', false);
    await app('copy', true, { mirror: 'upstream' });
  });

  it('decides by role in the namespace', async () => {
    const p = permissions();
    expect(await ask(p.namespace(user('ada'), 'team', 'manage-members'))).to.equal(true);
    expect(await ask(p.namespace(user('bob'), 'team', 'push'))).to.equal(true);
    expect(await ask(p.namespace(user('bob'), 'team', 'manage-apps'))).to.equal(false);
    expect(await ask(p.namespace(user('eve'), 'team', 'read'))).to.equal(false);
    expect(await ask(p.namespace(user('root'), 'team', 'govern'))).to.equal(true);
    expect(await ask(p.memberOf(user('bob'), 'team'))).to.equal(true);
    expect(await ask(p.memberOf(user('root'), 'team'))).to.equal(false);
    expect(await ask(p.admin(user('root')))).to.equal(true);
    expect(await ask(p.admin(user('ada')))).to.equal(false);
  });

  it('reads listed apps for everyone signed in, unlisted ones for members', async () => {
    const p = permissions();
    expect(await ask(p.readApp(user('eve'), 'team', 'shown'))).to.equal(true);
    expect(await ask(p.readApp(user('eve'), 'team', 'hidden'))).to.equal(false);
    expect(await ask(p.readApp(user('bob'), 'team', 'hidden'))).to.equal(true);
    expect(await ask(p.readApp(ANONYMOUS, 'team', 'shown'))).to.equal(false);
    expect(await ask(permissions(true).readApp(ANONYMOUS, 'team', 'shown'))).to.equal(true);
    expect(await ask(permissions(true).readApp(ANONYMOUS, 'team', 'hidden'))).to.equal(false);
    expect(await ask(p.seeApp(user('eve'), 'team', false))).to.equal(false);
    expect(await ask(p.seeApp(user('root'), 'team', false))).to.equal(true);
    expect(await ask(p.repository(user('eve'), 'team/shown', 'pull'))).to.equal(true);
    expect(await ask(p.repository(user('eve'), 'team/shown', 'push'))).to.equal(false);
    expect(await ask(p.repository(user('bob'), 'team/shown', 'push'))).to.equal(true);
    expect(await ask(p.repository(user('bob'), 'team/shown', 'delete'))).to.equal(false);
  });

  it('keeps a mirrored app read-only, admins included', async () => {
    const p = permissions();
    expect(await ask(p.mirroredFrom('team', 'copy'))).to.equal('upstream');
    expect(await ask(p.mirroredFrom('team', 'shown'))).to.equal(undefined);
    expect(await ask(p.changeApp(user('ada'), 'team', 'copy'))).to.equal(false);
    expect(await ask(p.changeApp(user('ada'), 'team', 'shown'))).to.equal(true);
    expect(await ask(p.repository(user('root'), 'team/copy', 'push'))).to.equal(false);
    expect(await ask(p.repository(user('root'), 'team/copy', 'pull'))).to.equal(true);
  });

  it('lets a robot pull and push under its own app only, while the app exists', async () => {
    const robot = await insertUser(store, robotName('key-shown'));
    const p = permissions();
    const r: Principal = {
      kind: 'user',
      userId: robot,
      name: robotName('key-shown'),
      role: 'user',
    };
    expect(await ask(p.repository(r, 'team/shown', 'pull'))).to.equal(true);
    expect(await ask(p.repository(r, 'team/shown/web', 'push'))).to.equal(true);
    expect(await ask(p.repository(r, 'team/shown', 'delete'))).to.equal(false);
    expect(await ask(p.repository(r, 'team/hidden', 'pull'))).to.equal(false);
    expect(await ask(p.rights(r))).to.deep.equal([]);
    await run(store, sql`DELETE FROM apps WHERE name = 'shown'`);
    expect(await ask(permissions().repository(r, 'team/shown', 'pull'))).to.equal(false);
  });

  it('refuses everything to a disabled user and a revoked key, on the next decision', async () => {
    const keys = new AccessKeys(accessKeyRepository(store), () => NOW);
    const created = await keys.create(ids.bob, 'ci', ['read']);
    const key = user('bob', { keyId: created.id, keyScopes: ['read'] });
    expect(await ask(permissions().rights(key))).to.deep.equal(['read']);
    expect(await ask(permissions().repository(key, 'team/hidden', 'pull'))).to.equal(true);
    expect(await ask(permissions().repository(key, 'team/hidden', 'push'))).to.equal(false);
    await keys.revoke(created.id);
    expect(await ask(permissions().repository(key, 'team/hidden', 'pull'))).to.equal(false);
    expect(await ask(permissions().rights(key))).to.deep.equal([]);

    const yes = dialect === 'sqlite' ? 1 : true;
    await run(store, sql`UPDATE users SET disabled = ${yes} WHERE name = 'ada'`);
    const p = permissions();
    expect(await ask(p.namespace(user('ada'), 'team', 'read'))).to.equal(false);
    expect(await ask(p.active(user('ada') as Extract<Principal, { kind: 'user' }>))).to.equal(
      false,
    );
    expect(await ask(p.createOrg(user('ada')))).to.equal(false);
  });

  it("asks once for a principal's credentials across one request's decisions", async () => {
    let asked = 0;
    const directory = accessDirectory(store);
    const counting = {
      ...directory,
      credentialsActive: (...args: Parameters<typeof directory.credentialsActive>) => {
        asked++;
        return directory.credentialsActive(...args);
      },
    };
    const p = new Permissions({ anonymousPull: false }, counting, () => NOW);
    const bob = user('bob');
    // At once, as the token endpoint asks for each action of a scope: one lookup, shared.
    const answers = await Promise.all([
      p.repository(bob, 'team/hidden', 'pull'),
      p.repository(bob, 'team/hidden', 'push'),
      p.repository(bob, 'team/hidden', 'delete'),
    ]);
    expect(answers).to.deep.equal([true, true, false]);
    expect(asked).to.equal(1);
  });
});
