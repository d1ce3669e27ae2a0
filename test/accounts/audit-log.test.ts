import { expect } from 'chai';
import { AuditLog } from '../../server/accounts/audit-log.js';
import { auditRepository } from '../../server/accounts/audit-repository.js';
import { describeDialects } from '../helpers/dialects.js';

describeDialects('the audit log', ({ dialect, open }) => {
  it('records entries and lists them newest first, filtered and paged', async () => {
    const store = await open();
    const clock = { now: 1_000 };
    const log = new AuditLog(auditRepository(store), () => clock.now);
    const written = log.record({ actor: 'ada', action: 'login', target: 'ada' });
    // SQLite writes at once and hands back no promise (the /v2 push path appends one per push).
    if (dialect === 'sqlite') expect(written).to.equal(undefined);
    await written;
    clock.now = 2_000;
    await log.record({ actor: 'bob', action: 'key.created', detail: { name: 'ci' } });
    clock.now = 3_000;
    await log.record({ actor: 'ada', action: 'logout', address: '10.0.0.1' });

    const all = await log.list({ limit: 10 });
    expect(all.map((e) => e.action)).to.deep.equal(['logout', 'key.created', 'login']);
    expect(all[1]).to.deep.include({
      actor: 'bob',
      target: '',
      address: '',
      at: new Date(2_000).toISOString(),
      detail: { name: 'ci' },
    });
    expect((await log.list({ actor: 'ada', limit: 10 })).map((e) => e.action)).to.deep.equal([
      'logout',
      'login',
    ]);
    expect((await log.list({ since: 2_000, until: 2_000, limit: 10 })).length).to.equal(1);
    const page = await log.list({ before: all[0]!.id, limit: 1 });
    expect(page.map((e) => e.action)).to.deep.equal(['key.created']);
  });
});
