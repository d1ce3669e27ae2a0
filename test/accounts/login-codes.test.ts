import { expect } from 'chai';
import { loginCodeRepository } from '../../server/accounts/login-code-repository.js';
import {
  CODES_PER_PHONE_PER_DAY,
  LoginCodes,
  MAX_ATTEMPTS,
  RESEND_INTERVAL_MS,
} from '../../server/accounts/login-codes.js';
import { describeDialects } from '../helpers/dialects.js';

const PHONE = '+8613800138000';

describeDialects('login codes', ({ open }) => {
  async function codes(clock: { now: number }): Promise<LoginCodes> {
    const store = await open();
    return new LoginCodes(loginCodeRepository(store), Buffer.alloc(32, 7), () => clock.now);
  }

  it('verifies a code once and refuses it after', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    const issued = await c.issue(PHONE, '127.0.0.1');
    if (!issued.ok) throw new Error('not issued');
    expect(await c.verify(PHONE, issued.code)).to.equal('ok');
    expect(await c.verify(PHONE, issued.code)).to.equal('wrong');
  });

  it('keeps the resend interval and the daily count per phone', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    expect((await c.issue(PHONE, '')).ok).to.equal(true);
    const again = await c.issue(PHONE, '');
    expect(again).to.deep.equal({ ok: false, retryAfterSeconds: 60 });
    for (let i = 1; i < CODES_PER_PHONE_PER_DAY; i++) {
      clock.now += RESEND_INTERVAL_MS;
      expect((await c.issue(PHONE, '')).ok).to.equal(true);
    }
    clock.now += RESEND_INTERVAL_MS;
    expect(await c.issue(PHONE, '')).to.deep.equal({ ok: false, retryAfterSeconds: 3600 });
    expect((await c.issue('+8613800138001', '')).ok).to.equal(true);
  });

  it('a new code replaces the live one; a withdrawn code lets the phone ask again at once', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    const first = await c.issue(PHONE, '');
    clock.now += RESEND_INTERVAL_MS;
    const second = await c.issue(PHONE, '');
    if (!first.ok || !second.ok) throw new Error('not issued');
    if (first.code !== second.code) expect(await c.verify(PHONE, first.code)).to.equal('wrong');
    await c.withdraw(second.id);
    expect((await c.issue(PHONE, '')).ok).to.equal(true);
  });

  it('burns a code at the fifth wrong attempt and expires it', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    const issued = await c.issue(PHONE, '');
    if (!issued.ok) throw new Error('not issued');
    const wrong = issued.code === '000000' ? '000001' : '000000';
    for (let i = 0; i < MAX_ATTEMPTS; i++) expect(await c.verify(PHONE, wrong)).to.equal('wrong');
    expect(await c.verify(PHONE, issued.code)).to.equal('wrong');
    clock.now += RESEND_INTERVAL_MS;
    const next = await c.issue(PHONE, '');
    if (!next.ok) throw new Error('not issued');
    clock.now += 11 * 60_000;
    expect(await c.verify(PHONE, next.code)).to.equal('expired');
  });

  it('two concurrent verifies of one code succeed once', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    const issued = await c.issue(PHONE, '');
    if (!issued.ok) throw new Error('not issued');
    const verdicts = await Promise.all(
      Array.from({ length: 6 }, () => c.verify(PHONE, issued.code)),
    );
    expect(verdicts.filter((v) => v === 'ok')).to.have.length(1);
  });

  it('concurrent requests for one phone issue one code', async () => {
    const clock = { now: 1_000_000 };
    const c = await codes(clock);
    const issued = await Promise.all(Array.from({ length: 6 }, () => c.issue(PHONE, '')));
    expect(issued.filter((i) => i.ok)).to.have.length(1);
  });
});
