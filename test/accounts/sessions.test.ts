import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { sessionRepository } from '../../server/accounts/session-repository.js';
import { Sessions } from '../../server/accounts/sessions.js';
import { describeDialects } from '../helpers/dialects.js';
import { insertUser, run } from '../helpers/account-rows.js';

describeDialects('login sessions', ({ open }) => {
  it('authenticates a live token of an enabled user until it ends, expires or the user is disabled', async () => {
    const store = await open();
    const clock = { now: 1_000_000 };
    const sessions = new Sessions(sessionRepository(store), 3_600_000, () => clock.now);
    const id = await insertUser(store, 'ada');
    const { token, expiresAt } = await sessions.create(id, '127.0.0.1');
    expect(expiresAt).to.equal(1_000_000 + 3_600_000);
    const p = await sessions.authenticate(token);
    expect(p).to.include({ kind: 'user', userId: id, name: 'ada', role: 'user' });
    expect(await sessions.authenticate(`${token}x`)).to.equal(undefined);

    clock.now += 3_600_000;
    expect(await sessions.authenticate(token)).to.equal(undefined);

    clock.now = 1_000_000;
    const second = await sessions.create(id, '');
    await run(store, sql`UPDATE users SET disabled = ${store.dialect === 'sqlite' ? 1 : true}`);
    expect(await sessions.authenticate(second.token)).to.equal(undefined);
    await run(store, sql`UPDATE users SET disabled = ${store.dialect === 'sqlite' ? 0 : false}`);
    const again = await sessions.authenticate(second.token);
    if (again?.kind !== 'user' || again.sessionId === undefined) throw new Error('no session');
    await sessions.end(again.sessionId);
    expect(await sessions.authenticate(second.token)).to.equal(undefined);
  });
});
