/**
 * U+0000 from the outside, over HTTP, on every way text reaches a database column: PostgreSQL's
 * text cannot hold it (SQLite's can), so each boundary refuses it in its protocol's own 400 (names,
 * paths, registry content kept byte-exact) or drops it (free text a person typed), and both
 * engines answer alike: never a 500, nothing half-written.
 */
import { expect } from 'chai';
import { api, type ApiError } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { TestRegistryClient, sha256, type OciErrorBody } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { appTemplate } from '../web/push-app.js';
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
    const empty = await reg.pushBlob(repo, '{}');
    const layer = await reg.pushBlob(repo, bytes);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BundleTypes.template,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: 2 },
      layers: [
        {
          mediaType: BundleTypes.template,
          digest: layer.digest,
          size: bytes.length,
          annotations: { [BundleAnnotations.title]: 'template.json' },
        },
      ],
      annotations,
    });
    const res = await reg.pushManifest(repo, tag ?? sha256(manifest), manifest, OCI_MANIFEST);
    return {
      res,
      descriptor: { mediaType: OCI_MANIFEST, digest: sha256(manifest), size: manifest.length },
    };
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
        [{ ...base, apps: [{ ...base.apps[0], service_cname: `w${NUL}eb` }] }, 'apps[0].service_cname'],
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
      const refused = await reg.pushManifest(repo, '4.0.0', indexWith(`changelog${NUL}`), OCI_INDEX);
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
  });
});
