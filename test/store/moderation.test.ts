/**
 * Moderation from the outside (issue 16 §2), through the store API: only an administrator
 * unlists or takes down an app, with a reason its owner reads on the app's JSON; an unlisted app
 * may be listed again by its owner (which ends the moderation), a taken-down one only after an
 * administrator restores it. Off the shelf means out of the marketplace: anonymous reads and
 * search no longer find it. Each change is in the audit log; bad bodies get the documented error.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

interface AppBody {
  listed: boolean;
  onShelf: boolean;
  moderation: { state: string; reason: string; at: string } | null;
}

describe('store: moderation of apps by an administrator', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let owner = '';
  const path = '/api/v1/apps/olga/shop';
  const moderate = (body: unknown, bearer = ADMIN_KEY) =>
    api<AppBody>(srv, 'POST', `${path}/moderation`, { bearer, body });
  const asOwner = async () => (await api<AppBody>(srv, 'GET', path, { bearer: owner })).body;
  const shelf = (listed: boolean) =>
    api<AppBody>(srv, 'PUT', `${path}/shelf`, { bearer: owner, body: { listed } });
  const searchFinds = async () =>
    (await api<{ items: { name: string }[] }>(srv, 'GET', '/api/v1/search?q=shop')).body.items.some(
      (i) => i.name === 'shop',
    );

  before(async () => {
    srv = await startTestServer();
    owner = await shelvedApp(srv, { phone: '+4915112349501', user: 'olga' }, 'shop');
  });
  after(() => srv?.close());

  it('lets only an administrator moderate, and refuses bad bodies with the documented error', async () => {
    const byOwner = await moderate({ action: 'takedown', reason: 'mine' }, owner);
    expect(byOwner.status).to.equal(403);
    const anonymous = await api(srv, 'POST', `${path}/moderation`, {
      body: { action: 'unlist', reason: 'x' },
    });
    expect(anonymous.status).to.be.oneOf([401, 403]);
    for (const body of [
      { action: 'unlist' },
      { action: 'takedown', reason: '   ' },
      { action: 'takedown', reason: 'x'.repeat(501) },
      { action: 'ban', reason: 'x' },
      { action: 'restore', reason: 'extra field' },
    ]) {
      const bad = await moderate(body);
      expect(bad.status, JSON.stringify(body)).to.equal(400);
      expect((bad.body as unknown as { error: { code: string } }).error.code).to.equal('invalid');
    }
    const none = await api(srv, 'POST', '/api/v1/apps/olga/nothing/moderation', {
      bearer: ADMIN_KEY,
      body: { action: 'unlist', reason: 'x' },
    });
    expect(none.status).to.equal(404);
    expect((await asOwner()).onShelf).to.equal(true);
  });

  it('unlists with a reason the owner reads; the owner listing it again ends the moderation', async () => {
    const unlisted = await moderate({ action: 'unlist', reason: 'The logo is not yours.' });
    expect(unlisted.status, unlisted.text).to.equal(200);
    expect(unlisted.body).to.deep.include({ listed: false, onShelf: false });
    expect(unlisted.body.moderation).to.deep.include({
      state: 'unlisted',
      reason: 'The logo is not yours.',
    });
    expect((await asOwner()).moderation?.reason).to.equal('The logo is not yours.');
    expect((await api(srv, 'GET', path)).status).to.equal(404);
    expect(await searchFinds()).to.equal(false);

    const relisted = await shelf(true);
    expect(relisted.status, relisted.text).to.equal(200);
    expect(relisted.body).to.deep.include({ onShelf: true, moderation: null });
    expect(await searchFinds()).to.equal(true);
  });

  it('takes down: the owner cannot list it again until an administrator restores it', async () => {
    const down = await moderate({ action: 'takedown', reason: 'Ships a cryptominer.' });
    expect(down.status, down.text).to.equal(200);
    expect(down.body.moderation).to.deep.include({ state: 'taken_down' });
    expect(await searchFinds()).to.equal(false);

    const refused = await shelf(true);
    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('taken down by an administrator').and.contain('cryptominer');
    expect((await asOwner()).listed).to.equal(false);

    const restored = await moderate({ action: 'restore' });
    expect(restored.body).to.deep.include({ listed: false, moderation: null });
    expect((await shelf(true)).body.onShelf).to.equal(true);
  });

  it('audits every moderation with its action and reason', async () => {
    const audit = await api<{
      entries: { actor: string; target: string; detail: Record<string, unknown> }[];
    }>(srv, 'GET', '/api/v1/audit?action=app.moderated&limit=10', { bearer: ADMIN_KEY });
    expect(audit.body.entries.map((e) => [e.actor, e.target, e.detail])).to.deep.equal([
      ['admin', 'olga/shop', { action: 'restore' }],
      ['admin', 'olga/shop', { action: 'takedown', reason: 'Ships a cryptominer.' }],
      ['admin', 'olga/shop', { action: 'unlist', reason: 'The logo is not yours.' }],
    ]);
  });
});
