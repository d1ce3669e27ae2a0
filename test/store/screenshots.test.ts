/**
 * An app's screenshots through the store API (issue 16 §1, §2): its managers add PNG, JPEG or
 * WebP images with a caption (told by their bytes: an SVG or a renamed text is refused, so is one
 * too large, and a ninth), whoever sees the app lists and fetches them (served with nosniff and a
 * CSP that runs nothing), managers remove them. Rows and the cap on both engines, the cap under
 * concurrent uploads included.
 */
import { expect } from 'chai';
import { MAX_SCREENSHOT_BYTES, MAX_SCREENSHOTS } from '../../schemas/names.js';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { describeDialects } from '../helpers/dialects.js';
import { pngImage } from '../helpers/png.js';
import { seedApp } from '../helpers/seed-rows.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { screenshotRepository } from '../../server/store/screenshot-repository.js';

interface Shot {
  id: number;
  url: string;
  caption: string;
  mediaType: string;
}

describe('store API: screenshots of an app', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let owner = '';
  let stranger = '';
  const path = '/api/v1/apps/olga/shop/screenshots';
  const add = async (bytes: Buffer, caption = '', bearer = owner) => {
    const res = await fetch(`${srv.url}${path}?caption=${encodeURIComponent(caption)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    return { status: res.status, body: (await res.json()) as Shot & { error?: { code: string } } };
  };
  const list = async (bearer?: string) =>
    (await api<{ items: Shot[] }>(srv, 'GET', path, bearer ? { bearer } : {})).body.items;

  before(async () => {
    srv = await startTestServer();
    owner = await shelvedApp(srv, { phone: '+4915112349701', user: 'olga' }, 'shop');
    stranger = (await loginWithPhone(srv, '+4915112349702', 'sam')).token;
  });
  after(() => srv?.close());

  it('adds an image with its caption; anyone who sees the app lists and fetches it', async () => {
    const png = pngImage(32, 20);
    const added = await add(png, 'The dashboard');
    expect(added.status).to.equal(201);
    expect(added.body).to.deep.include({ caption: 'The dashboard', mediaType: 'image/png' });
    expect((await list()).map((s) => s.caption)).to.deep.equal(['The dashboard']);
    const image = await fetch(`${srv.url}${added.body.url}`);
    expect(image.status).to.equal(200);
    expect(image.headers.get('content-type')).to.equal('image/png');
    expect(image.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(image.headers.get('content-security-policy')).to.equal("default-src 'none'");
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).to.equal(true);
  });

  it('tells JPEG and WebP by their bytes, and refuses anything else with the documented error', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]);
    const webp = Buffer.concat([
      Buffer.from('RIFF'),
      Buffer.alloc(4),
      Buffer.from('WEBPVP8 '),
      Buffer.alloc(32),
    ]);
    expect((await add(jpeg)).body.mediaType).to.equal('image/jpeg');
    expect((await add(webp)).body.mediaType).to.equal('image/webp');
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    for (const bad of [svg, Buffer.from('not an image'), Buffer.alloc(0)]) {
      const refused = await add(bad);
      expect([refused.status, refused.body.error?.code]).to.deep.equal([400, 'invalid']);
    }
    const huge = await add(pngImage(900, 900, { noise: true }));
    expect(MAX_SCREENSHOT_BYTES).to.be.below(900 * 900 * 3);
    expect(huge.status).to.equal(413);
    const longCaption = await add(pngImage(4, 4), 'x'.repeat(201));
    expect(longCaption.status).to.equal(400);
    expect(await list()).to.have.length(3);
  });

  it('lets only the app’s managers add and remove', async () => {
    expect((await add(pngImage(4, 4), '', stranger)).status).to.equal(403);
    const [first] = await list();
    const byStranger = await api(srv, 'DELETE', `${path}/${first!.id}`, { bearer: stranger });
    expect(byStranger.status).to.equal(403);
    const anonymous = await fetch(`${srv.url}${path}`, {
      method: 'POST',
      body: pngImage(4, 4),
      headers: { 'content-type': 'image/png' },
    });
    expect(anonymous.status).to.equal(401);
  });

  it(`refuses a screenshot past ${MAX_SCREENSHOTS}, and removes one (its image with it)`, async () => {
    while ((await list()).length < MAX_SCREENSHOTS)
      expect((await add(pngImage(8, 8, { noise: true }))).status).to.equal(201);
    const full = await add(pngImage(8, 8, { noise: true }));
    expect([full.status, full.body.error?.code]).to.deep.equal([409, 'conflict']);
    const [first] = await list();
    expect((await api(srv, 'DELETE', `${path}/${first!.id}`, { bearer: owner })).status).to.equal(
      204,
    );
    expect((await fetch(`${srv.url}${first!.url}`)).status).to.equal(404);
    expect((await api(srv, 'DELETE', `${path}/${first!.id}`, { bearer: owner })).status).to.equal(
      404,
    );
    expect((await api(srv, 'GET', `${path}/nope`)).status).to.equal(404);
    expect(await list()).to.have.length(MAX_SCREENSHOTS - 1);
  });
});

describeDialects('store: screenshot rows', ({ open }) => {
  it('keeps the order, and the cap holds under uploads at once', async () => {
    const store = await open();
    const { appId } = await seedApp(store, 'olga', 'shop', []);
    const repo = screenshotRepository(store);
    const row = (n: number) => ({
      storageKey: `screenshots/k/${n}`,
      mediaType: 'image/png',
      caption: `shot ${n}`,
      createdAt: n,
    });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, n) => repo.add(appId, row(n), 8)),
    );
    expect(results.filter((r) => r === 'full')).to.have.length(4);
    const kept = await repo.list(appId);
    expect(kept.map((r) => r.position)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    const removed = await repo.remove(appId, kept[0]!.id);
    expect(removed?.storageKey).to.equal(kept[0]!.storageKey);
    expect(await repo.remove(appId, kept[0]!.id)).to.equal(undefined);
    expect(await repo.list(appId)).to.have.length(7);
  });
});
