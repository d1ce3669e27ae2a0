import { expect } from 'chai';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { accessDirectory } from '../../server/auth/access-directory.js';
import { accessKeyRepository } from '../../server/auth/access-key-repository.js';
import { AccessKeys } from '../../server/auth/access-keys.js';
import { pullCredentialRepository } from '../../server/auth/pull-credential-repository.js';
import { PullCredentials } from '../../server/auth/pull-credentials.js';
import { describeDialects } from '../helpers/dialects.js';
import { insertUser, run } from '../helpers/account-rows.js';

describeDialects('the access directory', ({ dialect, open }) => {
  it('answers the permission module from the rows, synchronously on SQLite', async () => {
    const store = await open();
    const yes = dialect === 'sqlite' ? 1 : true;
    const ada = await insertUser(store, 'ada');
    await run(
      store,
      sql`INSERT INTO apps (app_key, namespace, name, listed, mirror_upstream, created_at, updated_at) VALUES ('k1', 'ada', 'app', ${yes}, 'up', 1, 1)`,
    );
    const appId =
      store.dialect === 'sqlite'
        ? store.db.get<{ id: number }>(sql`SELECT id FROM apps`).id
        : (await store.db.execute<{ id: number }>(sql`SELECT id FROM apps`)).rows[0]!.id;
    const keys = new AccessKeys(accessKeyRepository(store), () => 1_000);
    const key = await keys.create(ada, 'ci', ['install'], { expiresAt: 5_000 });
    const installer = await keys.authenticate(key.key);
    if (installer?.kind !== 'user') throw new Error('no installer');
    const pulls = new PullCredentials({
      repository: pullCredentialRepository(store),
      ttlSeconds: 1,
      clock: () => 1_000,
    });
    const { password } = await pulls.issue(installer, appId);
    const credential = await pulls.authenticate(password, 'ada');
    if (credential?.kind !== 'user' || !credential.pullCredential) throw new Error('no credential');

    const d = accessDirectory(store);
    const role = d.roleOf(ada, 'ada');
    if (dialect === 'sqlite') expect(role).to.not.be.instanceOf(Promise);
    expect(await role).to.equal('owner');
    expect(await d.roleOf(ada, 'other')).to.equal(undefined);
    expect(await d.appListed('ada', 'app')).to.equal(true);
    expect(await d.appListed('ada', 'none')).to.equal(undefined);
    expect(await d.appMirror('ada', 'app')).to.equal('up');
    expect(await d.appOfKey('k1')).to.deep.equal({ namespace: 'ada', name: 'app' });
    expect(await d.userNamed('ada')).to.deep.equal({ id: ada, name: 'ada', role: 'user' });
    expect(await d.credentialsActive(ada, undefined, 1_000)).to.equal(true);
    expect(await d.credentialsActive(ada, key.id, 1_000)).to.equal(true);
    expect(await d.credentialsActive(ada, key.id, 5_000)).to.equal(false);
    const pullId = credential.pullCredential.id;
    expect(await d.pullCredentialActive(pullId, key.id, ada, 1_500)).to.equal(true);
    expect(await d.pullCredentialActive(pullId, key.id, ada, 2_000)).to.equal(false);
    await run(store, sql`UPDATE users SET disabled = ${yes}`);
    expect(await d.credentialsActive(ada, undefined, 1_000)).to.equal(false);
    expect(await d.pullCredentialActive(pullId, key.id, ada, 1_500)).to.equal(false);
  });

  it('counts every change to a key or its user at once, whatever statement made it', async () => {
    const store = await open();
    const yes = dialect === 'sqlite' ? 1 : true;
    const no = dialect === 'sqlite' ? 0 : false;
    const ada = await insertUser(store, 'ada');
    const keys = new AccessKeys(accessKeyRepository(store), () => 1_000);
    const key = await keys.create(ada, 'ci', ['push']);
    const d = accessDirectory(store);
    const active = (keyId?: number, user = ada) => d.credentialsActive(user, keyId, 2_000);

    // Each answer is asked twice (the second may be a kept one) around each change.
    expect([await active(key.id), await active(key.id)]).to.deep.equal([true, true]);
    await run(store, sql`UPDATE access_keys SET expires_at = 1500 WHERE id = ${key.id}`);
    expect(await active(key.id)).to.equal(false);
    await run(store, sql`UPDATE access_keys SET expires_at = NULL WHERE id = ${key.id}`);
    expect(await active(key.id)).to.equal(true);
    await run(store, sql`UPDATE users SET disabled = ${yes} WHERE id = ${ada}`);
    expect([await active(key.id), await active()]).to.deep.equal([false, false]);
    await run(store, sql`UPDATE users SET disabled = ${no} WHERE id = ${ada}`);
    expect([await active(key.id), await active()]).to.deep.equal([true, true]);
    expect(await keys.revoke(key.id)).to.equal(true);
    expect(await active(key.id)).to.equal(false);

    // A miss is not kept past the insert that makes it a hit.
    const missing = key.id + 1;
    expect(await active(missing)).to.equal(false);
    const next = await keys.create(ada, 'next', ['read']);
    expect(next.id).to.equal(missing);
    expect(await active(missing)).to.equal(true);
    await run(store, sql`DELETE FROM access_keys WHERE id = ${missing}`);
    expect(await active(missing)).to.equal(false);
    const bob = await insertUser(store, 'bob');
    expect(await active(undefined, bob)).to.equal(true);
    await run(store, sql`DELETE FROM namespace_members WHERE user_id = ${bob}`);
    await run(store, sql`DELETE FROM users WHERE id = ${bob}`);
    expect(await active(undefined, bob)).to.equal(false);
  });

  if (dialect === 'sqlite') {
    it('leaves nothing of its change watch in the database file', async () => {
      const store = await open();
      if (store.dialect !== 'sqlite') return;
      const ada = await insertUser(store, 'ada');
      expect(accessDirectory(store).credentialsActive(ada, undefined, 1)).to.equal(true);
      const file = store.sqlite.name;
      const other = new Database(file);
      try {
        const triggers = other
          .prepare(
            `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%credentials%'`,
          )
          .all();
        expect(triggers).to.deep.equal([]);
        // Another connection writes without the callback function (which only this one has).
        other.prepare(`UPDATE users SET disabled = 1 WHERE id = ?`).run(ada);
      } finally {
        other.close();
      }
    });
  }
});
