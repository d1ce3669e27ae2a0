import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { AccessKeys } from '../../server/auth/access-keys.js';
import { accessKeyRepository } from '../../server/auth/access-key-repository.js';
import { pullCredentialRepository } from '../../server/auth/pull-credential-repository.js';
import { LIVE_PER_KEY_AND_APP, PullCredentials } from '../../server/auth/pull-credentials.js';
import type { StoreDatabase } from '../../server/db/store-database.js';
import { describeDialects } from '../helpers/dialects.js';
import { insertUser, run } from '../helpers/account-rows.js';

async function insertApp(store: StoreDatabase): Promise<number> {
  await run(
    store,
    sql`INSERT INTO apps (app_key, namespace, name, created_at, updated_at) VALUES ('k1', 'ada', 'app', 1, 1)`,
  );
  const find = sql`SELECT id FROM apps WHERE app_key = 'k1'`;
  return store.dialect === 'sqlite'
    ? store.db.get<{ id: number }>(find).id
    : (await store.db.execute<{ id: number }>(find)).rows[0]!.id;
}

async function count(store: StoreDatabase): Promise<number> {
  const q = sql`SELECT count(*)::int AS n FROM pull_credentials`;
  const sqliteQ = sql`SELECT count(*) AS n FROM pull_credentials`;
  return store.dialect === 'sqlite'
    ? store.db.get<{ n: number }>(sqliteQ).n
    : (await store.db.execute<{ n: number }>(q)).rows[0]!.n;
}

describeDialects('pull credentials', ({ open }) => {
  async function setup() {
    const store = await open();
    const clock = { now: 1_000_000 };
    const keys = new AccessKeys(accessKeyRepository(store), () => clock.now);
    const pulls = new PullCredentials({
      repository: pullCredentialRepository(store),
      ttlSeconds: 60,
      clock: () => clock.now,
    });
    const ada = await insertUser(store, 'ada');
    const appId = await insertApp(store);
    const key = await keys.create(ada, 'ci', ['install']);
    const installer = await keys.authenticate(key.key);
    if (installer?.kind !== 'user') throw new Error('no installer');
    return { store, clock, keys, pulls, appId, installer, key };
  }

  it('stand for the installer with the read scope while unexpired and the key works', async () => {
    const { clock, keys, pulls, appId, installer, key } = await setup();
    const { user, password } = await pulls.issue(installer, appId);
    const p = await pulls.authenticate(password, user);
    expect(p).to.deep.include({ name: 'ada', keyScopes: ['read'], keyId: key.id });
    expect(await pulls.authenticate(password, 'bob')).to.equal(undefined);
    clock.now += 30_000;
    const second = await pulls.issue(installer, appId);
    clock.now += 40_000; // the first's own expiry passed, but the second moved it on
    expect(await pulls.authenticate(password, user)).to.not.equal(undefined);
    clock.now += 30_000;
    expect(await pulls.authenticate(second.password, user)).to.equal(undefined);
    clock.now = 1_000_000;
    const third = await pulls.issue(installer, appId);
    await keys.revoke(key.id);
    expect(await pulls.authenticate(third.password, user)).to.equal(undefined);
  });

  it('keep at most LIVE_PER_KEY_AND_APP live, also when issued concurrently', async () => {
    const { store, pulls, appId, installer } = await setup();
    await Promise.all(
      Array.from({ length: LIVE_PER_KEY_AND_APP * 2 }, () => pulls.issue(installer, appId)),
    );
    expect(await count(store)).to.equal(LIVE_PER_KEY_AND_APP);
  });
});
