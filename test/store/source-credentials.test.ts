/**
 * A publisher's registry credentials (`hub_user`/`hub_password` of a template's `service_image`)
 * are used for the image sync and served nowhere: not while the version is a draft, not after it
 * is published — on /v2 (manifests and the template blob), /api/v1 (version, list, install, the
 * sync job), the Rainstore API, the web pages, `appshelf install -o` and `appshelf export`. A
 * template PUT on /v2 with a password in it is refused, naming the component.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SyncJobView } from '../../schemas/sync.js';
import { RegistryClient } from '../../registry/client/index.js';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient, type OciErrorBody } from '../helpers/registry-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliIn } from '../cli/run-cli.js';
import { person, shelve, type Person } from '../rainstore/people.js';
import { RainstoreClient, type RsAppDetail } from '../rainstore/client.js';
import {
  DISTRIBUTION_USER,
  distributionAvailable,
  startDistribution,
  type DistributionServer,
} from '../registry/client/distribution.js';
import { buildImage, pushBuilt } from '../registry/client/images.js';
import { putTemplate } from './app-pushes.js';

const SERVICE_KEY = 'f8d5286dc7cf7f129f1439cd706c3c4c';
const PASSWORD = DISTRIBUTION_USER.password;
const WORDPRESS = new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url);

type Json = Record<string, unknown>;

/** The minimal RAM template with one component whose image and service_image are given. */
function template(image: string, serviceImage: Json): Json {
  return {
    group_key: 'b77047a0f9b23a392e63f657fae4125a',
    group_name: 'hello',
    group_version: '1.0.0',
    apps: [
      {
        service_id: SERVICE_KEY,
        service_key: SERVICE_KEY,
        service_cname: 'web',
        extend_method: 'stateless_multiple',
        share_image: image,
        service_image: serviceImage,
      },
    ],
  };
}

describe('store: source registry credentials are never served', function () {
  this.timeout(90_000);
  let dist: DistributionServer | undefined;
  let srv: TestServer | undefined;
  let work = '';
  let alice: Person;
  let app: RsAppDetail;
  let repo = '';
  const cli = cliIn(() => work);

  /** Everything `what` says (a body, a file, CLI output) must be free of the password. */
  const clean = (what: string, text: string) =>
    expect(text.includes(PASSWORD), `${what} carries the source password`).to.equal(false);

  before(async function () {
    if (!distributionAvailable()) this.skip();
    work = await mkdtemp(join(tmpdir(), 'appshelf-source-creds-'));
    dist = await startDistribution();
    const upstream = new RegistryClient({ host: dist.url, credentials: DISTRIBUTION_USER });
    await pushBuilt(upstream, 'upstream/web', buildImage({ layerSizes: [2048] }), '1');
    srv = await startTestServer({
      registry: { anonymousPull: true },
      rainstore: { marketDomain: 'acme', marketName: 'Acme' },
    });
    alice = await person(srv, '+4915112347001', 'alice');
    await writeFile(
      join(work, 'config.json'),
      JSON.stringify({
        defaultStore: srv.host,
        stores: { [srv.host]: { url: srv.url, username: 'alice', key: alice.keys.push } },
      }),
      { mode: 0o600 },
    );
  });

  after(async () => {
    await srv?.close();
    await dist?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Every /v2 object the version's tag reaches: the tagged manifest, its children, their blobs' text. */
  async function registryTexts(tag: string): Promise<string[]> {
    const reg = new TestRegistryClient(srv!.url, { username: 'alice', password: alice.keys.push });
    const texts: string[] = [];
    const accept = [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
    ].join(', ');
    const walk = async (reference: string): Promise<void> => {
      const res = await reg.request('GET', `/v2/${repo}/manifests/${reference}`, {
        headers: { accept },
      });
      expect(res.status).to.equal(200);
      const text = await res.text();
      texts.push(text);
      const m = JSON.parse(text) as {
        manifests?: { digest: string }[];
        layers?: { digest: string; mediaType: string }[];
      };
      for (const child of m.manifests ?? []) await walk(child.digest);
      for (const layer of m.layers ?? []) {
        if (!layer.mediaType.includes('rainbond')) continue;
        const blob = await reg.request('GET', `/v2/${repo}/blobs/${layer.digest}`);
        expect(blob.status).to.equal(200);
        texts.push(await blob.text());
      }
    };
    await walk(tag);
    return texts;
  }

  it('a draft published through Rainstore keeps none of the credentials it names', async () => {
    const rs = new RainstoreClient(srv!.url, 'acme').as(alice.keys.push);
    app = (await rs.createApp({ name: 'Hello', desc: 'hello', publishType: 'public', tags: [] }))
      .body;
    repo = (await rs.hubInfo(app.appKeyID)).body.namespace;
    const made = await rs.createVersion(app.appKeyID, {
      version: '1.0.0',
      versionAlias: '',
      description: 'a draft with its images elsewhere',
      rainbondVersion: 'v6.3.0-release',
      templateType: 'RAM',
      arch: 'amd64',
      is_plugin: false,
      template: template(`${dist!.host}/upstream/web:1`, {
        hub_url: dist!.host,
        namespace: 'upstream',
        hub_user: DISTRIBUTION_USER.username,
        hub_password: PASSWORD,
        is_trust: false,
      }),
    });
    expect(made.status, JSON.stringify(made.body)).to.equal(200);
    const draft = await api<{ state: string }>(srv!, 'GET', `/api/v1/apps/${repo}/versions/1.0.0`, {
      bearer: alice.session,
    });
    expect(draft.body.state).to.equal('draft');
    clean('the draft in /api/v1', draft.text);
    for (const text of await registryTexts('1.0.0')) clean('the draft on /v2', text);
  });

  it("publishing it syncs with the template's credentials; no surface serves them", async () => {
    const path = `/api/v1/apps/${repo}/versions/1.0.0`;
    const started = await api(srv!, 'POST', `${path}/publish`, { bearer: alice.session });
    expect(started.status, started.text).to.equal(202);
    let job: SyncJobView;
    for (const deadline = Date.now() + 30_000; ;) {
      const res = await api<SyncJobView>(srv!, 'GET', `${path}/sync`, { bearer: alice.session });
      job = res.body;
      clean('the sync job', res.text);
      if (job.state === 'done' || job.state === 'failed' || Date.now() > deadline) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(job.state, JSON.stringify(job)).to.equal('done');
    await shelve(srv!, alice, repo, '1.0.0');

    for (const text of await registryTexts('1.0.0')) clean('the bundle on /v2', text);
    for (const [what, p] of [
      ['/api/v1 version', path],
      ['/api/v1 versions', `/api/v1/apps/${repo}/versions`],
      ['/api/v1 install', `${path}/install`],
    ] as const) {
      const res = await api(srv!, 'GET', p, { bearer: alice.session });
      expect(res.status, `${what}: ${res.text}`).to.equal(200);
      clean(what, res.text);
    }
    const installed = await api<Json>(srv!, 'GET', `${path}/install`, { bearer: alice.session });
    const part = (installed.body.apps as { service_image: Json }[])[0]!;
    expect(part.service_image).to.include({ hub_user: '', hub_password: '' });

    const rs = new RainstoreClient(srv!.url, 'acme');
    const forInstall = await rs
      .as(alice.keys.install)
      .getVersion(app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true });
    expect(forInstall.status).to.equal(200);
    clean('Rainstore version for install', JSON.stringify(forInstall.body));
    clean(
      'Rainstore versions',
      JSON.stringify((await rs.as(alice.keys.read).listVersions(app.appKeyID)).body),
    );
    const cmd = await rs.cmd(app.marketID, app.appKeyID, '1.0.0');
    expect(cmd.status).to.equal(200);
    clean('Rainstore cmd', JSON.stringify(cmd.body));

    const [ns, name] = repo.split('/');
    const web = `/apps/${ns}/${name}`;
    for (const page of [
      web,
      `${web}/versions`,
      `${web}/versions/1.0.0`,
      `${web}/versions/1.0.0/template.json`,
      `${web}/components`,
      `${web}/template`,
      `/my/apps/${ns}/${name}`,
    ]) {
      const res = await api(srv!, 'GET', page, { session: alice.session });
      expect(res.status, page).to.equal(200);
      clean(`web page ${page}`, res.text);
    }

    const out = join(work, 'installed.json');
    const install = await cli.run(['install', `${repo}:1.0.0`, '-o', out]);
    expect(install.code, install.stderr).to.equal(0);
    clean('appshelf install output', install.stdout + install.stderr);
    clean('appshelf install -o file', await readFile(out, 'utf8'));
    const tar = join(work, 'app.tar');
    const exported = await cli.run(['export', `${repo}:1.0.0`, '-o', tar]);
    expect(exported.code, exported.stderr).to.equal(0);
    clean('appshelf export output', exported.stdout + exported.stderr);
    clean('appshelf export tar', (await readFile(tar)).toString('latin1'));
  });

  it('a template PUT on /v2 with a password is refused, naming the component', async () => {
    const reg = new TestRegistryClient(srv!.url);
    const withPassword = Buffer.from(
      JSON.stringify(
        template('hub.example.com/acme/web:1', { hub_user: 'robot', hub_password: 'pw-1' }),
      ),
    );
    const { res } = await putTemplate(reg, 'acme/creds', withPassword, '1.0.0');
    const body = (await res.json()) as OciErrorBody;
    expect([res.status, body.errors[0]?.code]).to.deep.equal([400, 'MANIFEST_INVALID']);
    expect(body.errors[0]?.detail).to.deep.include({
      path: 'apps[0].service_image.hub_password',
      component: SERVICE_KEY,
    });
    expect(body.errors[0]?.message).to.include(SERVICE_KEY);

    const sample = JSON.parse(await readFile(WORDPRESS, 'utf8')) as {
      apps: { service_image: Json }[];
      plugins: { plugin_key: string; plugin_image: Json }[];
    };
    for (const a of sample.apps) a.service_image = { ...a.service_image, hub_password: '' };
    const plugin = await putTemplate(reg, 'acme/creds', Buffer.from(JSON.stringify(sample)), '2.0');
    const refused = (await plugin.res.json()) as OciErrorBody;
    expect([plugin.res.status, refused.errors[0]?.code]).to.deep.equal([400, 'MANIFEST_INVALID']);
    expect(refused.errors[0]?.detail).to.deep.include({
      path: 'plugins[0].plugin_image.hub_password',
      component: sample.plugins[0]!.plugin_key,
    });

    const blank = template('hub.example.com/acme/web:1', { hub_user: '', hub_password: '' });
    const accepted = await putTemplate(
      reg,
      'acme/creds',
      Buffer.from(JSON.stringify(blank)),
      '1.0.0',
    );
    expect(accepted.res.status, await accepted.res.text()).to.equal(201);
  });
});
