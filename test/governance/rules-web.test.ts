/**
 * A namespace's rules page (issue 17 §2, §3) over HTTP as a browser posts its forms: an owner
 * sets immutability and retention, a dry run lists what would go and why (the listed and the
 * packaged version flagged as kept), a real run removes it, is audited and shows what went and
 * what GC freed; a refused form shows the reason in the page; then /v2 refuses moving a fixed tag.
 * Maintainers and strangers get 403, a missing namespace 404, a form without the token 403.
 */
import { expect } from 'chai';
import { api, orgWithMaintainer, TestClock } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushApp } from '../web/push-app.js';

const HOUR = 3_600_000;
const PAGE = '/my/namespaces/acme/rules';

describe('governance: the rules page', function () {
  this.timeout(60_000);
  const clock = new TestClock();
  let srv: TestServer;
  let admin: TestRegistryClient;
  let olga: CookieBrowser;
  let max: CookieBrowser;
  let ownerSession: string;

  const post = async (b: CookieBrowser, path: string, fields: Record<string, string>) =>
    b.request('POST', path, { _csrf: await b.token(PAGE), ...fields });

  before(async () => {
    srv = await startTestServer({ registry: { gc: { graceSeconds: 60 } } } as never, {
      clock: clock.now,
    });
    const olgaPhone = '+4915112341901';
    const maxPhone = '+4915112341902';
    ({ ownerSession } = await orgWithMaintainer(
      srv,
      'acme',
      { phone: olgaPhone, name: 'olga' },
      { phone: maxPhone, name: 'max' },
    ));
    clock.advance(HOUR); // past the wait before another code goes to the same phone
    olga = new CookieBrowser(srv);
    await olga.signIn(olgaPhone);
    max = new CookieBrowser(srv);
    await max.signIn(maxPhone);
    admin = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
    for (const v of ['1.0.0', '1.1.0', '2.0.0', '2.1.0']) await pushApp(admin, 'acme/web', v);
    const pkg = await api(srv, 'POST', '/api/v1/apps/acme/web/packages', {
      bearer: ownerSession,
      body: { name: 'stable', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    const shelf = await api(srv, 'PUT', '/api/v1/apps/acme/web/shelf', {
      bearer: ownerSession,
      body: { listed: true },
    });
    expect(shelf.status, shelf.text).to.equal(200);
    await admin.pushImage('acme/base', 'v1', 'a');
  });
  after(() => srv?.close());

  it('is linked from My store for owners, and shows the rules as none yet', async () => {
    expect((await olga.request('GET', '/my')).text).to.include(`href="${PAGE}"`);
    expect((await max.request('GET', '/my')).text).not.to.include(`href="${PAGE}"`);
    const page = await olga.request('GET', PAGE);
    expect(page.status, page.text).to.equal(200);
    expect(page.text).to.include('Rules of acme').and.include('id="ret-keepNewest"');
    expect(page.text).not.to.include('id="last-run-h"');
  });

  it('saves the rules through the forms, as the API reads them, audited', async () => {
    const imm = await post(olga, `${PAGE}/immutability`, { tagPatterns: 'v*, release-?' });
    expect(imm.status, imm.text).to.equal(303);
    expect(imm.headers.get('location')).to.equal(`${PAGE}?done=immutability-saved`);
    const ret = await post(olga, `${PAGE}/retention`, {
      keepNewest: '1',
      keepPulledDays: '',
      untaggedHours: '1',
    });
    expect(ret.status, ret.text).to.equal(303);
    const rules = await api(srv, 'GET', '/api/v1/namespaces/acme/immutability');
    expect(rules.body).to.deep.equal({ versions: false, tagPatterns: ['v*', 'release-?'] });
    const retention = await api(srv, 'GET', '/api/v1/namespaces/acme/retention', {
      bearer: ownerSession,
    });
    expect(retention.body).to.deep.equal({ keepNewest: 1, keepPulledDays: null, untaggedHours: 1 });
    const shown = await olga.request('GET', `${PAGE}?done=retention-saved`);
    expect(shown.text)
      .to.include('The retention rules are saved.')
      .and.include('value="v*, release-?"');
    const audit = await api<{ entries: { action: string; actor: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=20',
      { bearer: ADMIN_KEY },
    );
    const actions = audit.body.entries.map((e) => [e.action, e.actor, e.target]);
    expect(actions).to.deep.include(['namespace.immutability_set', 'olga', 'acme']);
    expect(actions).to.deep.include(['retention.rules_set', 'olga', 'acme']);
  });

  it('shows a refused form with the reason, and keeps the rules', async () => {
    const bad = await post(olga, `${PAGE}/retention`, { keepNewest: '0', untaggedHours: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.include('role="alert"').and.include('keepNewest');
    const pattern = await post(olga, `${PAGE}/immutability`, { tagPatterns: 'v/../x' });
    expect(pattern.status).to.equal(400);
    expect(pattern.text).to.include('tag characters, * and ? only');
    // Each refused form comes back as typed, the other with the stored rules.
    expect(bad.text).to.match(/id="ret-keepNewest"[^>]* value="0"/);
    expect(bad.text).to.match(/id="ret-untaggedHours"[^>]* value="x"/);
    expect(bad.text).to.include('value="v*, release-?"');
    expect(pattern.text).to.match(/id="imm-patterns"[^>]* value="v(\/|&#x2F;)..(\/|&#x2F;)x"/);
    expect(pattern.text).to.match(/id="ret-keepNewest"[^>]* value="1"/);
    const rules = await api(srv, 'GET', '/api/v1/namespaces/acme/retention', {
      bearer: ownerSession,
    });
    expect(rules.body).to.deep.include({ keepNewest: 1 });
  });

  it('lists on a dry run what would go and why the rest stays, changing nothing', async () => {
    const plan = await olga.request('GET', `${PAGE}?plan=dry`);
    expect(plan.status, plan.text).to.equal(200);
    const removed = tableOf(plan.text, 'plan-removed');
    expect(removed.map((r) => r[0])).to.deep.equal(['acme/web:2.0.0', 'acme/web:1.1.0']);
    expect(removed[0]![1]).to.equal('not among the 1 newest');
    expect(tableOf(plan.text, 'plan-kept')).to.deep.equal([
      ['acme/web:2.1.0', 'among the 1 newest listed'],
      ['acme/web:1.0.0', 'in package stable'],
    ]);
    expect(plan.text).to.include('<span class="badge ok">listed</span>');
    expect(plan.text).to.include('<span class="badge ok">in package stable</span>');
    expect((await admin.request('GET', '/v2/acme/web/manifests/1.1.0')).status).to.equal(200);
  });

  it('runs now: removes what the dry run listed and shows it with the bytes freed', async () => {
    clock.advance(2 * HOUR); // past GC's grace period
    admin = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY }); // a fresh token
    const ran = await post(olga, `${PAGE}/run`, {});
    expect(ran.status, ran.text).to.equal(303);
    expect(ran.headers.get('location')).to.equal(`${PAGE}?done=ran`);
    const page = await olga.request('GET', `${PAGE}?done=ran`);
    expect(page.text).to.include('The retention rules ran');
    const last = /<section aria-labelledby="last-run-h"[\s\S]*?<\/section>/.exec(page.text)?.[0];
    expect(last).to.include('By olga').and.include('<strong data-removed>2 versions</strong>');
    expect(last)
      .to.include('<code>acme/web:2.0.0</code>')
      .and.include('<code>acme/web:1.1.0</code>');
    const freed = /<strong data-freed>([^<]+)<\/strong>/.exec(last!)?.[1];
    expect(freed).to.match(/^[\d.]+ (B|KiB)$/);
    expect(freed).not.to.equal('0 B');
    for (const gone of ['2.0.0', '1.1.0'])
      expect((await admin.request('GET', `/v2/acme/web/manifests/${gone}`)).status).to.equal(404);
    expect((await admin.request('GET', '/v2/acme/web/manifests/2.1.0')).status).to.equal(200);
  });

  it('then /v2 refuses moving a tag the page fixed, naming the rule', async () => {
    const refused = (push: Promise<unknown>) =>
      push.then(
        () => expect.fail('the push went through'),
        (err: Error) => err.message,
      );
    // TestRegistryClient.pushImage throws with the status and the OCI error body.
    expect(await refused(admin.pushImage('acme/base', 'v1', 'b')))
      .to.contain('403')
      .and.contain('"code":"DENIED"')
      .and.contain('tag pattern \\"v*\\"');
    const on = await post(olga, `${PAGE}/immutability`, { versions: 'on', tagPatterns: 'v*' });
    expect(on.status, on.text).to.equal(303);
    expect(await refused(admin.pushImage('acme/web', '2.1.0', 'other')))
      .to.contain('"code":"DENIED"')
      .and.contain('published versions are immutable');
    await admin.pushImage('acme/base', 'v2', 'c'); // a new tag stays free
  });

  it('refuses maintainers, strangers, missing namespaces and forms without the token', async () => {
    expect((await max.request('GET', PAGE)).status).to.equal(403);
    const byMax = await post(max, `${PAGE}/run`, {});
    expect(byMax.status).to.equal(403);
    const otto = new CookieBrowser(srv);
    await otto.signIn('+4915112341903', 'otto');
    expect((await otto.request('GET', PAGE)).status).to.equal(403);
    expect((await otto.request('GET', `${PAGE}?plan=dry`)).status).to.equal(403);
    expect((await otto.request('GET', '/my/namespaces/nobody-here/rules')).status).to.equal(404);
    expect((await new CookieBrowser(srv).request('GET', PAGE)).status).to.be.oneOf([401, 303]);
    const forged = await olga.request('POST', `${PAGE}/retention`, { keepNewest: '1000' });
    expect(forged.status).to.equal(403);
    const forgedRun = await olga.request('POST', `${PAGE}/run`, {});
    expect(forgedRun.status).to.equal(403);
    const rules = await api(srv, 'GET', '/api/v1/namespaces/acme/retention', {
      bearer: ownerSession,
    });
    expect(rules.body).to.deep.include({ keepNewest: 1 });
  });
});

/** The rows of `<table class="data NAME">` as cell texts (tags stripped, spaces collapsed). */
function tableOf(page: string, name: string): string[][] {
  const table = new RegExp(`<table class="data ${name}">[\\s\\S]*?</table>`).exec(page)?.[0];
  if (!table) return [];
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      cell[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}
