/**
 * The webhooks sections of the web (issue 17 §4), over HTTP as a browser posts its forms: an
 * app's owner adds a hook on the app's management page, a change made on the web (the shelf
 * switch) is delivered, the history shows it with a redeliver button that sends it again; the
 * namespace's page lists its hooks; others get 403; forms without the CSRF token are refused.
 */
import { expect } from 'chai';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { LOOPBACK_REGISTRIES, startTestServer, type TestServer } from '../helpers/server.js';
import { expectedSignature, Receiver } from './receiver.js';

const SECRET = 'web-test-secret-0123456789';

describe('webhooks: the web pages', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let receiver: Receiver;
  let wanda: CookieBrowser;

  const post = async (b: CookieBrowser, path: string, fields: [string, string][], from = path) => {
    const form = new URLSearchParams([['_csrf', await b.token(from)], ...fields]);
    return b.send('POST', path, form, { 'content-type': 'application/x-www-form-urlencoded' });
  };

  before(async () => {
    srv = await startTestServer({
      webhooks: { allowHosts: LOOPBACK_REGISTRIES, retryBaseSeconds: 0.1 },
    });
    receiver = await Receiver.start();
    wanda = new CookieBrowser(srv);
    await wanda.signIn('+4915112348001', 'wanda');
    const made = await wanda.request('POST', '/my/apps', {
      _csrf: await wanda.token('/my'),
      namespace: 'wanda',
      name: 'site',
    });
    expect(made.status, made.text).to.equal(303);
  });
  after(async () => {
    await srv?.close();
    await receiver?.close();
  });

  it('adds an app hook, delivers a web change to it, shows the history and redelivers', async () => {
    const page = '/my/apps/wanda/site';
    const before = await wanda.request('GET', page);
    expect(before.text).to.include('id="webhooks-h"').and.include('No webhooks yet.');

    const added = await post(
      wanda,
      `${page}/webhooks`,
      [
        ['url', receiver.url],
        ['events', 'listed'],
        ['events', 'delete'],
        ['secret', SECRET],
        ['format', 'cloudevents'],
      ],
      page,
    );
    expect(added.status, added.text).to.equal(303);
    expect(added.headers.get('location')).to.equal(`${page}?done=webhook-added`);

    const shelf = await post(wanda, `${page}/shelf`, [['listed', 'true']], page);
    expect(shelf.status).to.equal(303);
    const [got] = await receiver.waitFor((r) => r.headers['x-appshelf-event'] === 'listed');
    expect(got!.headers['content-type']).to.equal('application/cloudevents+json');
    expect(got!.headers['x-appshelf-signature']).to.equal(expectedSignature(got!.body, SECRET));
    expect(JSON.parse(got!.body)).to.deep.include({
      type: 'io.appshelf.listed',
      data: { repository: 'wanda/site', listed: true },
    });

    let shown = '';
    for (let i = 0; i < 100 && !/badge ok">delivered/.test(shown); i++) {
      shown = (await wanda.request('GET', page)).text;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(shown).to.include(receiver.url).and.include('badge ok">delivered');
    expect(shown).not.to.include(SECRET);
    const redeliver = /action="([^"]+\/redeliver)"/.exec(shown)?.[1];
    expect(redeliver, 'a redeliver button').to.be.a('string');
    const again = await post(wanda, redeliver!.replace(/&#x2F;|&#47;/g, '/'), [], page);
    expect(again.status, again.text).to.equal(303);
    const both = await receiver.waitFor((r) => r.headers['x-appshelf-event'] === 'listed', 2);
    expect(both[1]!.body).to.equal(both[0]!.body);
  });

  it('lists the namespace hooks on its page and shows a refused form with the reason', async () => {
    const page = '/my/namespaces/wanda/webhooks';
    expect((await wanda.request('GET', '/my')).text).to.include(`href="${page}"`);
    const bad = await post(wanda, page, [
      ['url', receiver.url],
      ['events', 'push'],
      ['secret', 'short'],
    ]);
    expect(bad.status).to.equal(400);
    expect(bad.text).to.include('at least 16 characters');
    const good = await post(wanda, page, [
      ['url', receiver.url],
      ['events', 'push'],
      ['secret', SECRET],
    ]);
    expect(good.status, good.text).to.equal(303);
    const shown = await wanda.request('GET', page);
    expect(shown.status).to.equal(200);
    expect(shown.text).to.include('Webhooks of wanda').and.include(receiver.url);
  });

  it('refuses other users and forms without the CSRF token', async () => {
    const otto = new CookieBrowser(srv);
    await otto.signIn('+4915112348002', 'otto');
    expect((await otto.request('GET', '/my/namespaces/wanda/webhooks')).status).to.equal(403);
    const forged = await otto.request('POST', '/my/namespaces/otto/webhooks', {
      url: receiver.url,
      events: 'push',
      secret: SECRET,
    });
    expect(forged.status).to.equal(403);
    const onApp = await otto.request('GET', '/my/apps/wanda/site');
    expect(onApp.text).not.to.include('id="webhooks-h"');
  });
});
