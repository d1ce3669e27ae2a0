/**
 * /certification/login as a Rainbond console uses it (../shared/rainstore-api.md §5 "Binding"):
 * a console page on another site (a second node:http server, reached as http://console.test)
 * iframes the store's page with the console's sandbox flags, in Debian's chromium. The user
 * signs in with a phone code and creates a key inside the frame; the console page receives
 * `{accessKey}` by postMessage from the store's origin, and that key works on the Rainstore API
 * and the registry's token endpoint. A site not in `rainstore.frameAncestors` cannot frame the page.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { api, codeFromLogs, type ApiAnswer } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium } from '../web/browser.js';

const PHONE = '+4915112340777';
/** The sandbox the Rainbond UI's AuthCompany dialog puts on the frame. */
const SANDBOX = 'allow-same-origin allow-scripts allow-popups allow-forms';

/** The console's page: frames `src`, records every message whose data carries accessKey. */
function consolePage(src: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>console</title></head><body>
<h1>Rainbond console</h1>
<iframe id="store" src="${src}" sandbox="${SANDBOX}" width="640" height="760"></iframe>
<script>
window.received = [];
window.addEventListener('message', function (e) {
  if (e.data && e.data.accessKey) window.received.push({ origin: e.origin, data: e.data });
});
</script></body></html>`;
}

interface Received {
  origin: string;
  data: Record<string, unknown>;
}

describe('rainstore: /certification/login in a console’s iframe', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let consoleServer: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let consoleOrigin = '';
  let otherOrigin = '';
  let accessKey = '';
  const problems: string[] = [];
  const frameSrc = () =>
    `${srv.url}/certification/login?enterprise_alias=acme&enterprise_id=e-1&real_name=Ann`;

  before(async function () {
    const executablePath = findChromium();
    if (!executablePath) return this.skip(); // outside CI only: findChromium throws in CI
    consoleServer = createServer(
      (_req, res) =>
        void res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(consolePage(frameSrc())),
    );
    consoleServer.listen(0, '127.0.0.1');
    await once(consoleServer, 'listening');
    const { port } = consoleServer.address() as AddressInfo;
    // Other sites than the store's 127.0.0.1 (another port alone would be the same site for cookies).
    consoleOrigin = `http://console.test:${port}`;
    otherOrigin = `http://other.test:${port}`;
    srv = await startTestServer({ rainstore: { frameAncestors: ["'self'", consoleOrigin] } });
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
        '--host-resolver-rules=MAP console.test 127.0.0.1, MAP other.test 127.0.0.1',
      ],
      timeout: 30_000,
    });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => void problems.push(e.message));
    // The script's API calls answer 4xx on purpose (a wrong code); the page's own files must not.
    page.on(
      'response',
      (r) =>
        void (
          r.status() >= 400 &&
          r.request().resourceType() !== 'fetch' &&
          problems.push(`${r.status()} for ${r.url()}`)
        ),
    );
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await srv?.close();
    if (consoleServer) {
      consoleServer.closeAllConnections();
      await new Promise<void>((done) => consoleServer!.close(() => done()));
    }
  });

  /** The store's frame inside the console page (once it has loaded the store's page). */
  async function storeFrame(): Promise<Frame> {
    await page.waitForFunction(
      "document.getElementById('store') && document.getElementById('store').contentWindow !== null",
    );
    for (let i = 0; i < 100; i++) {
      const frame = page.frames().find((f) => f.url().startsWith(`${srv.url}/certification/login`));
      if (frame) return frame;
      await page.waitForTimeout(50);
    }
    throw new Error(
      `no store frame; frames: ${page
        .frames()
        .map((f) => f.url())
        .join(', ')}`,
    );
  }

  it('lets only the configured origins frame the page; every other page keeps its framing protection', async () => {
    const res = await fetch(frameSrc());
    expect(res.status).to.equal(200);
    expect(
      res.headers.get('x-frame-options'),
      'no X-Frame-Options on the certification page',
    ).to.equal(null);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.contain(`frame-ancestors 'self' ${consoleOrigin};`);
    expect(csp).not.to.contain(otherOrigin);
    expect(csp, 'still no inline script').to.contain("script-src 'self';");
    expect(res.headers.get('cache-control')).to.equal('no-store');
    for (const path of ['/login', '/', '/my/keys']) {
      const other = await fetch(`${srv.url}${path}`, { redirect: 'manual' });
      expect(other.headers.get('x-frame-options'), path).to.equal('DENY');
      expect(other.headers.get('content-security-policy'), path).to.contain(
        "frame-ancestors 'none'",
      );
    }
  });

  it('signs in with a phone code inside the frame, creates a key, and posts {accessKey} to the console', async () => {
    await page.goto(`${consoleOrigin}/`);
    const frame = await storeFrame();
    expect(await frame.textContent('[data-embedder]')).to.equal(consoleOrigin);
    expect(await frame.textContent('main'))
      .to.contain('acme')
      .and.contain('Ann');
    await frame.fill('#phone', PHONE);
    await frame.click('button:has-text("Send code")');
    await frame.waitForSelector('#code', { state: 'visible' });
    expect(await frame.textContent('[role=status]')).to.contain(PHONE);
    expect(await frame.isDisabled('button[data-resend]'), 'resend waits').to.equal(true);

    await frame.fill('#code', '000000');
    await frame.click('button:has-text("Sign in")');
    await frame.waitForSelector('[data-error]:not([hidden])');
    expect(await frame.textContent('[data-error]')).to.match(/wrong or used code/);
    await frame.fill('#code', codeFromLogs(srv, PHONE));
    await frame.fill('#name', 'ann');
    await frame.click('button:has-text("Sign in")');
    await frame.waitForSelector('#key-name', { state: 'visible' });
    expect(await frame.textContent('[data-user]')).to.equal('ann');
    expect(await frame.inputValue('#key-name')).to.equal('Rainbond acme (Ann)');
    // No cookie is needed (nor could one be kept in a third-party frame): the session is the script's.
    const cookies = await page.context().cookies(srv.url);
    expect(cookies.map((c) => c.name)).not.to.include('appshelf_session');

    expect(await page.evaluate<Received[]>('window.received')).to.deep.equal([]);
    await frame.click('button:has-text("Create the key and connect")');
    await page.waitForFunction('window.received.length > 0');
    await frame.waitForSelector('[role=status]:not([hidden])');
    expect(await frame.textContent('[role=status]'))
      .to.contain('Rainbond acme (Ann)')
      .and.contain(consoleOrigin);
    await page.waitForTimeout(200); // a second message would arrive by now
    const received = await page.evaluate<Received[]>('window.received');
    expect(received).to.have.length(1);
    expect(received[0]!.origin, 'sent by the store’s page').to.equal(srv.url);
    expect(Object.keys(received[0]!.data)).to.deep.equal(['accessKey']);
    accessKey = String(received[0]!.data.accessKey);
    expect(accessKey).to.match(/^ask_/);
    expect(await frame.isVisible('#step-key'), 'the form is gone: one key per visit').to.equal(
      false,
    );
    expect(problems).to.deep.equal([]);
  });

  it('the posted key binds the store and installs, but does not push', async () => {
    expect(accessKey, 'the previous test made a key').not.to.equal('');
    const info = await fetch(`${srv.url}/app-server/openapi/info?marketDomain=appshelf`, {
      headers: { authorization: accessKey },
    });
    expect(info.status).to.equal(200);
    expect(((await info.json()) as { accessActions: string[] }).accessActions).to.deep.equal([
      'OnlyRead',
      'ReadInstall',
    ]);
    const markets = await fetch(`${srv.url}/app-server/openapi/bindablemarkets`, {
      headers: { authorization: accessKey },
    });
    expect(markets.status).to.equal(200);
    expect(((await markets.json()) as { domain: string }[]).map((m) => m.domain)).to.deep.equal([
      'appshelf',
    ]);

    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const tokenUrl = `${srv.url}/app-server/v1/registry/auth?service=appshelf&scope=repository:ann/notes:pull,push`;
    const token = await fetch(tokenUrl, { headers: { authorization: basic('ann', accessKey) } });
    expect(token.status).to.equal(200);
    const body = (await token.json()) as { token: string; access_token: string };
    const claims = JSON.parse(
      Buffer.from(body.token.split('.')[1]!, 'base64url').toString('utf8'),
    ) as { sub: string; access: { name: string; actions: string[] }[] };
    expect(claims.sub).to.equal('ann');
    expect(claims.access).to.deep.equal([
      { type: 'repository', name: 'ann/notes', actions: ['pull'] },
    ]);
    expect(
      (await fetch(tokenUrl, { headers: { authorization: basic('ann', 'ask_wrong') } })).status,
      'a wrong key',
    ).to.equal(401);

    // The frame's session ended once the key was sent; the key is in ann's list.
    const audit: ApiAnswer<{ entries: { actor: string; action: string }[] }> = await api(
      srv,
      'GET',
      '/api/v1/audit?actor=ann',
      { bearer: ADMIN_KEY },
    );
    expect(audit.body.entries.map((e) => e.action)).to.include.members([
      'login',
      'key.created',
      'logout',
    ]);
    const keys: ApiAnswer<{ keys: { name: string; scopes: string[] }[] }> = await api(
      srv,
      'GET',
      '/api/v1/keys',
      { bearer: accessKey },
    );
    expect(keys.body.keys.map((k) => [k.name, k.scopes])).to.deep.equal([
      ['Rainbond acme (Ann)', ['read', 'install']],
    ]);
  });

  it('a site not in frameAncestors cannot frame the page; opened on its own, the page only explains', async () => {
    const refused: string[] = [];
    page.on('console', (m) => void (/frame-ancestors/.test(m.text()) && refused.push(m.text())));
    await page.goto(`${otherOrigin}/`);
    await page.waitForFunction(
      "document.getElementById('store') && document.getElementById('store').contentWindow !== null",
    );
    await page.waitForTimeout(500);
    const store = page.frames().find((f) => f !== page.mainFrame());
    expect(store, 'the iframe exists').not.to.equal(undefined);
    expect(store!.url(), 'blocked: an error page, not the store').not.to.contain(
      '/certification/login',
    );
    expect(await store!.$('#phone')).to.equal(null);
    expect(refused.join('\n'), 'chromium reports the refusal').to.contain(`Framing '${srv.url}/'`);

    await page.goto(frameSrc());
    await page.waitForSelector('[data-error]:not([hidden])');
    expect(await page.textContent('[data-error]')).to.contain(
      'Open this page from a Rainbond console',
    );
    expect(await page.isVisible('#phone')).to.equal(false);
    expect(problems).to.deep.equal([]);
  });
});
