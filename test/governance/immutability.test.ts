/**
 * Immutable versions and tags (issue 17 §2), from the outside: the rules are set through the
 * store API by an owner; then a published version's tag cannot be moved, overwritten or deleted
 * through /v2 (OCI DENIED naming the rule), the same manifest pushed again still passes, tags that
 * match a pattern are fixed in plain image repositories, and an owner's `?force=true` republish
 * goes through, is audited and bumps the update time Rainbond reads. A maintainer cannot force.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { LayoutBuilder } from '../clients/oci-layout-builder.js';
import { api, orgWithMaintainer } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { errorCode, TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/tools.js';
import { pushApp } from '../web/push-app.js';

const IMAGE = 'application/vnd.oci.image.manifest.v1+json';

describe('governance: immutable versions and tags', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let owner: TestRegistryClient;
  let maintainer: TestRegistryClient;
  let ownerSession: string;
  let maintainerSession: string;
  const keys = new Map<string, string>();

  /** A push key of a signed-in user, as registry credentials. */
  async function registryClientOf(session: string, name: string): Promise<TestRegistryClient> {
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'ci', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    keys.set(name, key.body.key);
    return new TestRegistryClient(srv.url, { username: name, password: key.body.key });
  }

  before(async () => {
    srv = await startTestServer();
    ({ ownerSession, maintainerSession } = await orgWithMaintainer(
      srv,
      'acme',
      { phone: '+4915112341701', name: 'olga' },
      { phone: '+4915112341702', name: 'max' },
    ));
    owner = await registryClientOf(ownerSession, 'olga');
    maintainer = await registryClientOf(maintainerSession, 'max');
  });
  after(() => srv?.close());

  const setRules = (bearer: string, body: unknown) =>
    api(srv, 'PUT', '/api/v1/namespaces/acme/immutability', { bearer, body });
  const versionOf = async (app: string, version: string) => {
    const res = await api<{ updatedAt: string }>(
      srv,
      'GET',
      `/api/v1/apps/acme/${app}/versions/${version}`,
      { bearer: ADMIN_KEY },
    );
    expect(res.status, res.text).to.equal(200);
    return res.body;
  };
  /** A plain one-layer image whose content differs by `seed`, tagged `tag` in `repo`. */
  async function pushImage(
    client: TestRegistryClient,
    repo: string,
    tag: string,
    seed: string,
    query = '',
  ): Promise<Response> {
    const config = await client.pushBlob(repo, `{"seed":"${seed}"}`);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: IMAGE,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: Buffer.byteLength(`{"seed":"${seed}"}`),
      },
      layers: [],
    });
    return client.pushManifest(repo, `${tag}${query}`, manifest, IMAGE);
  }

  it('only an owner sets the rules; they are validated and readable', async () => {
    const byMaintainer = await setRules(maintainerSession, { versions: true });
    expect(byMaintainer.status, byMaintainer.text).to.equal(403);
    const bad = await setRules(ownerSession, { versions: true, tagPatterns: ['v/../x'] });
    expect(bad.status, bad.text).to.equal(400);
    const unknown = await api(srv, 'PUT', '/api/v1/namespaces/nobody/immutability', {
      bearer: ADMIN_KEY,
      body: { versions: true },
    });
    expect(unknown.status).to.equal(404);
    const off = await api(srv, 'GET', '/api/v1/namespaces/acme/immutability');
    expect(off.body).to.deep.equal({ versions: false, tagPatterns: [] });
  });

  it('off by default: re-sharing a version overwrites it, as Rainbond expects', async () => {
    await pushApp(owner, 'acme/shop', '1.0.0');
    expect((await pushImage(owner, 'acme/base', 'v1', 'a')).status).to.equal(201);
    expect((await pushImage(owner, 'acme/base', 'v1', 'b')).status).to.equal(201);
  });

  it('with the rules on, a published version and a matching tag cannot be moved or deleted', async () => {
    const on = await setRules(ownerSession, { versions: true, tagPatterns: ['v*'] });
    expect(on.status, on.text).to.equal(200);

    // The version's tag moved to another manifest (a plain image here): DENIED, naming the rule.
    const moved = await pushImage(maintainer, 'acme/shop', '1.0.0', 'other');
    expect(moved.status).to.equal(403);
    const body = (await moved.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).to.equal('DENIED');
    expect(body.errors[0]!.message).to.contain('published versions are immutable');

    const pattern = await pushImage(maintainer, 'acme/base', 'v1', 'c');
    expect([pattern.status, await errorCode(pattern)]).to.deep.equal([403, 'DENIED']);
    // Tags the patterns do not name, and new tags, stay free.
    expect((await pushImage(maintainer, 'acme/base', 'latest', 'd')).status).to.equal(201);
    expect((await pushImage(maintainer, 'acme/base', 'latest', 'e')).status).to.equal(201);
    expect((await pushImage(maintainer, 'acme/base', 'v2', 'f')).status).to.equal(201);
    // The same manifest again is no change (clients retry).
    expect((await pushImage(maintainer, 'acme/base', 'v2', 'f')).status).to.equal(201);

    const deleted = await maintainer.request('DELETE', '/v2/acme/base/manifests/v1');
    expect([deleted.status, await errorCode(deleted)]).to.deep.equal([403, 'DENIED']);
    const digest = (await owner.request('HEAD', '/v2/acme/base/manifests/v1')).headers.get(
      'docker-content-digest',
    );
    const byDigest = await owner.request('DELETE', `/v2/acme/base/manifests/${digest}`);
    expect([byDigest.status, await errorCode(byDigest)]).to.deep.equal([403, 'DENIED']);
  });

  it('skopeo meets the same rule: a copy onto a fixed tag fails with the rule, a new tag goes through', async () => {
    const home: ClientHome = await clientHome('skopeo-immutable');
    try {
      const layout = new LayoutBuilder(join(home.dir, 'src'));
      layout.tag(layout.image(), 'one');
      layout.tag(layout.image(), 'two');
      await layout.save();
      const skopeo = (args: string[], allowFailure = false) =>
        run('skopeo', ['--policy', home.policy, ...args], {
          env: home.env,
          allowFailure,
          timeoutMs: 50_000,
        });
      const copy = (name: string, tag: string, allowFailure = false) =>
        skopeo(
          [
            'copy',
            '--quiet',
            '--dest-tls-verify=false',
            '--dest-creds',
            `max:${keys.get('max')!}`,
            `oci:${join(home.dir, 'src')}:${name}`,
            `docker://${srv.host}/acme/base:v9`.replace(':v9', `:${tag}`),
          ],
          allowFailure,
        );
      expect((await copy('one', 'v9')).code).to.equal(0);
      const refused = await copy('two', 'v9', true);
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.match(/denied/i);
      expect(refused.stderr).to.contain('acme/base:v9 is immutable (tag pattern');
      expect((await copy('two', 'edge')).code).to.equal(0);
    } finally {
      await rm(home.dir, { recursive: true, force: true });
    }
  });

  it("an owner's explicit ?force=true republishes, audited, with a newer update time; a maintainer's does not", async () => {
    const before = await versionOf('shop', '1.0.0');

    const notOwner = await pushImage(maintainer, 'acme/base', 'v1', 'g', '?force=true');
    expect([notOwner.status, await errorCode(notOwner)]).to.deep.equal([403, 'DENIED']);

    await new Promise((r) => setTimeout(r, 1100)); // update times count in seconds
    const forced = await pushImage(owner, 'acme/base', 'v1', 'h', '?force=true');
    expect(forced.status, await forced.text()).to.equal(201);
    await pushApp(owner, 'acme/shop', '1.0.0'); // the same bundle again: no change, passes
    await pushApp(owner, 'acme/shop', '1.0.0', { variant: ' 2', query: '?force=true' });
    const after = await versionOf('shop', '1.0.0');
    expect(Date.parse(after.updatedAt)).to.be.above(Date.parse(before.updatedAt));

    const audit = await api<{ entries: { actor: string; action: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?action=tag.republished&limit=50',
      { bearer: ADMIN_KEY },
    );
    const forcedTargets = audit.body.entries.map((e) => `${e.actor} ${e.target}`);
    expect(forcedTargets).to.include.members(['olga acme/base:v1', 'olga acme/shop:1.0.0']);
    const forcedDelete = await owner.request('DELETE', '/v2/acme/base/manifests/v1?force=true');
    expect(forcedDelete.status).to.equal(202);
  });

  it('the store API deletes a version through the same rule (403, the version stays)', async () => {
    await pushApp(owner, 'acme/kept', '1.0.0');
    const refused = await api<{ error: { code: string; message: string } }>(
      srv,
      'DELETE',
      '/api/v1/apps/acme/kept/versions/1.0.0',
      { bearer: ownerSession },
    );
    expect([refused.status, refused.body.error.code]).to.deep.equal([403, 'forbidden']);
    expect(refused.body.error.message).to.contain('published versions are immutable');
    expect((await versionOf('kept', '1.0.0')).updatedAt).to.be.a('string');
    expect((await owner.request('GET', '/v2/acme/kept/manifests/1.0.0')).status).to.equal(200);
  });
  it('the web delete of a version meets the rule too: the page names it, the version stays', async () => {
    // The admin may delete any version, so only the rule stands in the way (the admin key signs
    // in to the web; olga's phone would wait out the code resend interval).
    const web = new CookieBrowser(srv);
    const signedIn = await web.request('POST', '/login', {
      _csrf: await web.token(),
      action: 'key',
      key: ADMIN_KEY,
    });
    expect(signedIn.status, signedIn.text).to.equal(303);
    const page = '/my/apps/acme/kept';
    const form = new URLSearchParams({ _csrf: await web.token(page) });
    const refused = await web.send('POST', `${page}/versions/1.0.0/delete`, form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('published versions are immutable');
    expect((await owner.request('GET', '/v2/acme/kept/manifests/1.0.0')).status).to.equal(200);
  });
});
