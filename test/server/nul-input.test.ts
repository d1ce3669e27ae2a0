/**
 * U+0000 from the outside, over HTTP, on every way text reaches a database column: PostgreSQL's
 * text cannot hold it (SQLite's can), so each boundary refuses it in its protocol's own 400 (names,
 * paths, registry content kept byte-exact) or drops it (free text a person typed), and both
 * engines answer alike: never a 500, nothing half-written.
 */
import { connect } from 'node:net';
import { expect } from 'chai';
import { api, type ApiError } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { TestRegistryClient, type OciErrorBody } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { appTemplate } from '../web/push-app.js';
import { putTemplate } from '../store/app-pushes.js';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { person, type Person } from '../rainstore/people.js';
import { RainstoreClient } from '../rainstore/client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const NUL = '\u0000';

describe('U+0000 in input: refused or dropped, never a 500, on either engine', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let session: string;
  let reg: TestRegistryClient;
  let publisher: Person;

  before(async () => {
    srv = await startTestServer({ rainstore: { marketDomain: 'acme', marketName: 'Acme' } });
    session = await shelvedApp(srv, { phone: '+8613800000101', user: 'alice' }, 'blog');
    reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
    publisher = await person(srv, '+8613800000102', 'bob');
  });
  after(() => srv?.close());
  afterEach(function () {
    // No request of this file may have failed inside the store.
    const failed = srv.logs.filter((l) => /"level":50/.test(l));
    expect(failed, failed.join('\n').slice(0, 2000)).to.deep.equal([]);
  });

  const versionsOf = async (repo: string): Promise<string[]> => {
    const got = await api<{ versions: { version: string }[] }>(
      srv,
      'GET',
      `/api/v1/apps/${repo}/versions`,
      { bearer: session },
    );
    expect(got.status, got.text).to.equal(200);
    return got.body.versions.map((v) => v.version);
  };

  /** Pushes a template (and its empty config) and its manifest under `tag` (null: by digest). */
  async function pushTemplate(
    repo: string,
    tag: string | null,
    template: object,
    annotations: Record<string, string> = {},
  ): Promise<{ res: Response; descriptor: { mediaType: string; digest: string; size: number } }> {
    const bytes = Buffer.from(JSON.stringify(template));
    const { res, pushed } = await putTemplate(reg, repo, bytes, tag ?? undefined, annotations);
    return { res, descriptor: pushed };
  }

  async function expectOciError(res: Response, code: string): Promise<OciErrorBody> {
    const body = (await res.json()) as OciErrorBody;
    expect(res.status, JSON.stringify(body)).to.equal(400);
    expect(body.errors[0]?.code).to.equal(code);
    return body;
  }

  describe('/v2: app content kept byte-exact is refused with MANIFEST_INVALID', () => {
    it('a template with U+0000 in a component name, an env name or a note', async () => {
      const base = JSON.parse(appTemplate('alice/blog', '2.0.0').toString()) as {
        apps: Record<string, unknown>[];
        [key: string]: unknown;
      };
      const attacks: [object, string][] = [
        [
          { ...base, apps: [{ ...base.apps[0], service_cname: `w${NUL}eb` }] },
          'apps[0].service_cname',
        ],
        [{ ...base, describe: `notes${NUL}` }, 'describe'],
        [{ ...base, group_name: `bl${NUL}og` }, 'group_name'],
        [
          {
            ...base,
            apps: [
              {
                ...base.apps[0],
                service_env_map_list: [{ attr_name: `A${NUL}B`, attr_value: '1', name: 'a' }],
              },
            ],
          },
          'apps[0].service_env_map_list[0].attr_name',
        ],
      ];
      for (const [template, path] of attacks) {
        const { res } = await pushTemplate('alice/blog', '2.0.0', template);
        const body = await expectOciError(res, 'MANIFEST_INVALID');
        expect(body.errors[0]?.message).to.include(`${path}: must not contain U+0000`);
        expect(body.errors[0]?.detail).to.deep.include({ path });
      }
      // Nothing half-written: no manifest under the tag, no version row.
      const pulled = await reg.request('GET', '/v2/alice/blog/manifests/2.0.0', {
        headers: { accept: OCI_MANIFEST },
      });
      expect(pulled.status).to.equal(404);
      expect(await versionsOf('alice/blog')).to.deep.equal(['1.0.0']);
    });

    it("a draft's annotation (the version's notes) with U+0000", async () => {
      const template = JSON.parse(appTemplate('alice/blog', '3.0.0').toString()) as object;
      const draft = await pushTemplate('alice/blog', '3.0.0', template, {
        [BundleAnnotations.description]: `notes${NUL}`,
      });
      const body = await expectOciError(draft.res, 'MANIFEST_INVALID');
      expect(body.errors[0]?.message).to.include(
        `annotations.${BundleAnnotations.description}: must not contain U+0000`,
      );
      expect(await versionsOf('alice/blog')).to.deep.equal(['1.0.0']);
    });

    it("a bundle index whose annotation (the version's changelog) holds U+0000", async () => {
      const repo = 'alice/blog';
      const template = JSON.parse(appTemplate(repo, '4.0.0').toString()) as {
        apps: { service_key: string }[];
      };
      const { res, descriptor } = await pushTemplate(repo, null, template);
      expect(res.status, await res.text()).to.equal(201);
      const image = await reg.pushImage(repo, 'web-image');
      const indexWith = (description: string) =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          artifactType: BundleTypes.bundle,
          manifests: [
            descriptor,
            {
              mediaType: OCI_MANIFEST,
              digest: image.digest,
              size: Buffer.byteLength(JSON.stringify(image.manifest)),
              annotations: { [BundleAnnotations.component]: template.apps[0]!.service_key },
            },
          ],
          annotations: {
            [BundleAnnotations.version]: '4.0.0',
            [BundleAnnotations.description]: description,
          },
        });
      const refused = await reg.pushManifest(
        repo,
        '4.0.0',
        indexWith(`changelog${NUL}`),
        OCI_INDEX,
      );
      const body = await expectOciError(refused, 'MANIFEST_INVALID');
      expect(body.errors[0]?.message).to.include('must not contain U+0000');
      const pulled = await reg.request('GET', `/v2/${repo}/manifests/4.0.0`, {
        headers: { accept: OCI_INDEX },
      });
      expect(pulled.status).to.equal(404);
      expect(await versionsOf(repo)).to.deep.equal(['1.0.0']);
      // The same bundle without the NUL is a version.
      const taken = await reg.pushManifest(repo, '4.0.0', indexWith('changelog'), OCI_INDEX);
      expect(taken.status, await taken.text()).to.equal(201);
      expect(await versionsOf(repo)).to.include('4.0.0');
    });

    it("an artifact type with U+0000 is refused; an annotation's NUL is kept byte-exact", async () => {
      const repo = 'alice/plain';
      const config = await reg.pushBlob(repo, '{}');
      const manifestOf = (extra: object) =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: 'application/vnd.oci.empty.v1+json',
            digest: config.digest,
            size: 2,
          },
          layers: [],
          ...extra,
        });
      const typed = await reg.pushManifest(
        repo,
        'typed',
        manifestOf({ artifactType: `application/x${NUL}y` }),
        OCI_MANIFEST,
      );
      await expectOciError(typed, 'MANIFEST_INVALID');
      expect((await reg.request('GET', `/v2/${repo}/manifests/typed`)).status).to.equal(404);
      // Not an app: the manifest is bytes and its annotations escaped JSON, so it is stored as is.
      const noted = manifestOf({ annotations: { note: `a${NUL}b` } });
      const put = await reg.pushManifest(repo, 'noted', noted, OCI_MANIFEST);
      expect(put.status, await put.text()).to.equal(201);
      const pulled = await reg.request('GET', `/v2/${repo}/manifests/noted`, {
        headers: { accept: OCI_MANIFEST },
      });
      expect(pulled.status).to.equal(200);
      expect(await pulled.text()).to.equal(noted);
    });

    it('a repository name, tag, paging mark or filter with %00 is no 500 (a 4xx in OCI form)', async () => {
      for (const path of [
        '/v2/al%00ice/blog/tags/list',
        '/v2/alice/blog/manifests/1%000',
        '/v2/alice/blog/tags/list?last=a%00b',
        '/v2/_catalog?last=a%00b',
        '/v2/alice/blog/referrers/sha256:' + '0'.repeat(64) + '?artifactType=a%00b',
      ]) {
        const res = await reg.request('GET', path, { scope: 'repository:alice/blog:pull' });
        const text = await res.text();
        expect(res.status, `${path}: ${text}`).to.be.below(500);
        if (res.status >= 400) expect(JSON.parse(text), path).to.have.property('errors');
      }
    });
  });

  describe('paths: a name with %00 is the protocol’s 400', () => {
    it('/api/v1 answers the documented error', async () => {
      for (const path of [
        '/api/v1/apps/al%00ice/blog',
        '/api/v1/apps/alice/blog/versions/1%000',
        '/api/v1/users/al%00ice',
        '/api/v1/orgs/a%00b',
      ]) {
        const got = await api<ApiError>(srv, 'GET', path, { bearer: session });
        expect(got.status, `${path}: ${got.text}`).to.equal(400);
        expect(got.body.error.code).to.equal('invalid');
        expect(got.body.error.message).to.include('U+0000');
      }
    });

    it('the Rainstore API answers {code, msg}', async () => {
      const rs = new RainstoreClient(srv.url, 'acme', publisher.keys.read);
      const got = await rs.call<{ code: number; msg: string }>(
        'GET',
        '/app-server/openapi/apps/a%00b',
      );
      expect(got.status).to.equal(400);
      expect(got.body).to.deep.equal({ code: 400, msg: 'the path must not contain U+0000' });
    });

    it('the web pages answer an error page', async () => {
      const res = await fetch(new URL('/apps/al%00ice/blog', srv.url), {
        headers: { accept: 'text/html' },
      });
      expect(res.status).to.equal(400);
      expect(res.headers.get('content-type')).to.include('text/html');
      expect(await res.text()).to.include('U+0000');
    });
  });

  describe('free text: U+0000 is dropped, the same on both engines', () => {
    it('the store API (already through parseInput) and its search', async () => {
      const changed = await api<{ summary: string }>(srv, 'PATCH', '/api/v1/apps/alice/blog', {
        bearer: session,
        body: { summary: `a${NUL}b` },
      });
      expect(changed.status, changed.text).to.equal(200);
      expect(changed.body.summary).to.equal('ab');
      const found = await api(srv, 'GET', '/api/v1/search?q=bl%00og', { bearer: session });
      expect(found.status, found.text).to.equal(200);
    });

    it('a web form: the app page’s fields', async () => {
      // alice's session from the sign-in above, as the browser's cookie.
      const browser = new CookieBrowser(srv, new Map([['appshelf_session', session]]));
      const page = '/my/apps/alice/blog';
      const saved = await browser.request('POST', page, {
        _csrf: await browser.token(page),
        displayName: `Bl${NUL}og`,
        summary: `short${NUL} note`,
        introduction: `# In${NUL}tro`,
        tags: `t${NUL}1, t2`,
        categories: '',
        homeUrl: '',
        sourceUrl: '',
      });
      expect(saved.status, saved.text.slice(0, 500)).to.be.oneOf([200, 303]);
      const app = await api<{
        displayName: string;
        summary: string;
        introduction: string;
        tags: string[];
      }>(srv, 'GET', '/api/v1/apps/alice/blog', { bearer: session });
      expect(app.body).to.deep.include({
        displayName: 'Blog',
        summary: 'short note',
        introduction: '# Intro',
        tags: ['t1', 't2'],
      });
    });

    it('the Rainstore API: an app body and a version envelope; its template is refused', async () => {
      const rs = new RainstoreClient(srv.url, 'acme', publisher.keys.push);
      const made = await rs.createApp({
        name: 'Notes',
        desc: `a${NUL}b`,
        introduction: `in${NUL}tro`,
        tags: [`t${NUL}1`],
        publishType: 'private',
      } as Parameters<typeof rs.createApp>[0]);
      expect(made.status, JSON.stringify(made.body)).to.equal(200);
      expect(made.body).to.deep.include({ desc: 'ab', introduction: 'intro', tags: ['t1'] });
      const template = (cname: string) => ({
        group_key: 'x',
        group_name: 'notes',
        group_version: '0.0.0',
        apps: [
          {
            service_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
            service_key: '0f9e8d7c6b5a49382716f5e4d3c2b1a0',
            service_cname: cname,
            extend_method: 'stateless_multiple',
            share_image: 'hub.example.com/acme/web:1',
          },
        ],
      });
      const envelope = (cname: string) => ({
        version: '1.0.0',
        versionAlias: `al${NUL}ias`,
        description: `from${NUL} rainbond`,
        rainbondVersion: 'v6',
        templateType: 'RAM',
        arch: 'amd64',
        is_plugin: false,
        template: template(cname),
      });
      const path = `/app-server/openapi/apps/${made.body.appKeyID}/versions`;
      const refused = await rs.call<{ code: number; msg: string }>('POST', path, {
        body: envelope(`w${NUL}eb`),
      });
      expect(refused.status).to.equal(400);
      expect(refused.body.msg).to.equal(
        'invalid template: apps[0].service_cname: must not contain U+0000',
      );
      const none = await rs.call<{ versions: unknown[] }>('GET', path);
      expect(none.body.versions).to.deep.equal([]);
      const taken = await rs.call<{ desc: string; appVersionAlias: string }>('POST', path, {
        body: envelope('web'),
      });
      expect(taken.status, JSON.stringify(taken.body)).to.equal(200);
      expect(taken.body).to.deep.include({ desc: 'from rainbond', appVersionAlias: 'alias' });
    });
  });

  describe('the Rainstore API reads its bodies as the store API does (parseInput)', () => {
    it('a field that is only U+0000 is dropped first, then refused in {code, msg}', async () => {
      const rs = new RainstoreClient(srv.url, 'acme', publisher.keys.push);
      const app = await rs.call<{ code: number; msg: string }>('POST', '/app-server/openapi/apps', {
        body: { name: NUL, publishType: 'private' },
      });
      expect(app.status).to.equal(400);
      expect(Object.keys(app.body).sort()).to.deep.equal(['code', 'msg']);
      expect(app.body.code).to.equal(400);
      expect(app.body.msg).to.match(/^invalid app: .*\n.*→ at name/s);

      const made = await rs.createApp({ name: 'Drafts', publishType: 'private' } as Parameters<
        typeof rs.createApp
      >[0]);
      expect(made.status, JSON.stringify(made.body)).to.equal(200);
      const version = await rs.call<{ code: number; msg: string }>(
        'POST',
        `/app-server/openapi/apps/${made.body.appKeyID}/versions`,
        { body: { version: NUL, template: {} } },
      );
      expect(version.status).to.equal(400);
      expect(Object.keys(version.body).sort()).to.deep.equal(['code', 'msg']);
      expect(version.body.msg).to.match(/^invalid version: .*→ at version/s);
    });
  });

  describe('headers: the HTTP parser refuses a NUL before any handler (the audit log never sees one)', () => {
    it('a User-Agent with a raw NUL is a 400 from the server itself', async () => {
      const answer = await new Promise<string>((done, fail) => {
        const socket = connect(Number(new URL(srv.url).port), '127.0.0.1');
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        socket.on('end', () => done(got));
        socket.on('error', fail);
        socket.write(`GET /api/v1/apps HTTP/1.1\r\nHost: x\r\nUser-Agent: a${NUL}b\r\n\r\n`);
      });
      expect(answer).to.match(/^HTTP\/1\.1 400 /);
    });
  });
});
