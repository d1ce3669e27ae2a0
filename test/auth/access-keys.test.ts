import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { accessKeyRepository } from '../../server/auth/access-key-repository.js';
import { AccessKeys } from '../../server/auth/access-keys.js';
import { describeDialects } from '../helpers/dialects.js';
import { insertUser, run } from '../helpers/account-rows.js';

describeDialects('access keys', ({ dialect, open }) => {
  it('authenticate a live key of an enabled user, by name when given; revoked and expired keys fail', async () => {
    const store = await open();
    const clock = { now: 1_000_000 };
    const keys = new AccessKeys(accessKeyRepository(store), () => clock.now);
    const ada = await insertUser(store, 'ada');
    const made = await keys.create(ada, 'ci', ['read', 'push']);
    const expiring = await keys.create(ada, 'soon', ['read'], { expiresAt: 2_000_000 });

    const p = await keys.authenticate(made.key, 'ada');
    expect(p).to.deep.include({ kind: 'user', userId: ada, name: 'ada', keyId: made.id });
    expect(p?.kind === 'user' && p.keyScopes).to.deep.equal(['read', 'push']);
    expect(await keys.authenticate(made.key, 'bob')).to.equal(undefined);
    expect(await keys.authenticate(`${made.key.slice(0, -1)}x`)).to.equal(undefined);
    expect(await keys.ownerOf(`${made.key.slice(0, -1)}x`)).to.equal('ada');
    expect((await keys.get(made.id))?.lastUsedAt).to.equal(new Date(1_000_000).toISOString());

    await run(store, sql`UPDATE users SET disabled = ${dialect === 'sqlite' ? 1 : true}`);
    expect(await keys.authenticate(made.key)).to.equal(undefined);
    await run(store, sql`UPDATE users SET disabled = ${dialect === 'sqlite' ? 0 : false}`);

    clock.now = 2_000_000;
    expect(await keys.authenticate(expiring.key)).to.equal(undefined);
    expect((await keys.list(ada)).map((k) => k.name)).to.deep.equal(['ci', 'soon']);
    expect(await keys.revoke(made.id)).to.equal(true);
    expect(await keys.revoke(made.id)).to.equal(false);
    expect(await keys.authenticate(made.key)).to.equal(undefined);
    expect((await keys.get(made.id))?.revoked).to.equal(true);
    expect((await keys.list(ada)).map((k) => k.name)).to.deep.equal(['soon']);
  });

  it('replace a secret and find a live key by name', async () => {
    const store = await open();
    const keys = new AccessKeys(accessKeyRepository(store));
    const ada = await insertUser(store, 'ada');
    const made = await keys.create(ada, 'bootstrap', ['read'], { secret: 'ask_first-secret-0000' });
    await keys.setSecret(made.id, 'ask_other-secret-1111');
    expect(await keys.authenticate('ask_first-secret-0000')).to.equal(undefined);
    expect(await keys.authenticate('ask_other-secret-1111')).to.include({ name: 'ada' });
    expect((await keys.liveNamed(ada, 'bootstrap'))?.id).to.equal(made.id);
    expect(await keys.liveNamed(ada, 'other')).to.equal(undefined);
  });

  it('keep a per-user cap, also when keys are created concurrently', async () => {
    const store = await open();
    const keys = new AccessKeys(accessKeyRepository(store));
    const ada = await insertUser(store, 'ada');
    const made = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => keys.create(ada, `k${i}`, ['read'], { maxLive: 5 })),
    );
    expect(made.filter((m) => m.status === 'fulfilled')).to.have.length(5);
    const refused = made.find((m) => m.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).to.have.property('code', 'conflict');
    await keys.revoke((await keys.list(ada))[0]!.id);
    await keys.create(ada, 'again', ['read'], { maxLive: 5 });
  });
});
