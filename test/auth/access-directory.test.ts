import { expect } from 'chai';
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
});
