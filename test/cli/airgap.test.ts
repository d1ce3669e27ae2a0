/**
 * The air gap from the outside: `appshelf export` of globs from one real store into one archive,
 * `appshelf import` into a second real store, then every manifest and blob compared by digest and
 * the listings compared through the store API; plugin images and signatures included; skopeo
 * reads the archive; a damaged or truncated archive is refused and leaves the store untouched;
 * output to a pipe carries no progress.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appClosure, digestOf, RegistryClient } from '../../registry/client/index.js';
import { pushAppVersion } from '../helpers/app-version.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run as runTool, toolAvailable } from '../helpers/tools.js';
import { BIN, cliIn } from './run-cli.js';

const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
);

describe('cli: the air gap (export globs, carry one file, import)', function () {
  this.timeout(180_000);
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let dir: string;
  const cli = cliIn(() => dir);
  const client = (srv: TestServer) =>
    new RegistryClient({ host: srv.url, credentials: { username: 'admin', password: ADMIN_KEY } });
  const api = async (srv: TestServer, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${srv.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).to.be.lessThan(300);
    return res;
  };
  const listingOf = async (srv: TestServer, app: string) => {
    const view = (await (await api(srv, 'GET', `/apps/${app}`)).json()) as Record<string, unknown>;
    const logo = view.logo
      ? Buffer.from(await (await api(srv, 'GET', `/apps/${app}/logo`)).arrayBuffer())
      : null;
    const pick = (k: string) => view[k];
    return {
      ...Object.fromEntries(
        [
          'displayName',
          'summary',
          'introduction',
          'tags',
          'categories',
          'sourceUrl',
          'homeUrl',
          'publishType',
          'listed',
          'onShelf',
        ].map((k) => [k, pick(k)]),
      ),
      packages: (view.packages as { name: string; versions: string[] }[]).map((p) => ({
        name: p.name,
        versions: p.versions,
      })),
      logo: logo && digestOf(logo),
    };
  };
  /** `repository@digest` of every item of the version's closure on `srv`. */
  const closureOf = async (srv: TestServer, repository: string, version: string) =>
    // The templates name store A's host for the plugin images, on B too.
    (await appClosure(client(srv), repository, version, { ownHosts: [a.host] })).items
      .map((i) => `${i.repository}@${i.digest}`)
      .sort();

  before(async () => {
    [a, b, c] = await Promise.all([startTestServer(), startTestServer(), startTestServer()]);
    dir = await mkdtemp(join(tmpdir(), 'appshelf-airgap-'));
    for (const [repository, version] of [
      ['admin/wordpress', '1.2.0'],
      ['admin/wordpress', '2.0.0'],
      ['admin/blog', '1.0.0'],
    ] as const)
      await pushAppVersion(client(a), {
        repository,
        version,
        pluginRepository: 'admin/perf-analyze',
        host: a.host,
      });
    await api(a, 'PATCH', '/apps/admin/wordpress', {
      displayName: 'WordPress',
      summary: 'Blog engine with MySQL',
      introduction: '# WordPress\n\nWith a database.',
      tags: ['cms', 'blog'],
      categories: ['web'],
      homeUrl: 'https://wordpress.example.com',
    });
    const logo = await fetch(`${a.url}/api/v1/apps/admin/wordpress/logo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'image/svg+xml' },
      body: LOGO,
    });
    expect(logo.status).to.equal(200);
    await api(a, 'POST', '/apps/admin/wordpress/packages', {
      name: 'stable',
      versions: ['1.2.0', '2.0.0'],
    });
    await api(a, 'PUT', '/apps/admin/wordpress/shelf', { listed: true });
    for (const srv of [a, b, c])
      await cli.ok(['login', srv.url, '--key', ADMIN_KEY, '--no-default']);
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports a glob into one archive and imports it with identical digests and listings', async () => {
    const archive = join(dir, 'apps.tar');
    const exported = await cli.okJson<{
      versions: { reference: string; digest: string }[];
      plugins: string[];
      referrers: number;
      size: number;
    }>(['export', `${a.host}/admin/*`, '-o', archive]);
    expect(exported.versions.map((v) => v.reference).sort()).to.deep.equal([
      `${a.host}/admin/blog:1.0.0`,
      `${a.host}/admin/wordpress:1.2.0`,
      `${a.host}/admin/wordpress:2.0.0`,
    ]);
    expect(exported.plugins).to.have.length(6); // per version: its own plugin tag, and one in admin/perf-analyze
    expect(exported.referrers).to.equal(9); // three signatures per version
    expect((await stat(archive)).size).to.equal(exported.size);

    const imported = await cli.okJson<{
      versions: { reference: string; digest: string }[];
      listings: string[];
    }>(['import', archive, '--store', b.host]);
    expect(imported.versions.map((v) => v.digest).sort()).to.deep.equal(
      exported.versions.map((v) => v.digest).sort(),
    );
    expect(imported.listings.sort()).to.deep.equal(['admin/blog', 'admin/wordpress']);

    for (const [repository, version] of [
      ['admin/wordpress', '1.2.0'],
      ['admin/wordpress', '2.0.0'],
      ['admin/blog', '1.0.0'],
    ] as const) {
      const [there, here] = await Promise.all([
        closureOf(a, repository, version),
        closureOf(b, repository, version),
      ]);
      expect(here).to.deep.equal(there);
      expect(here.some((i) => i.startsWith('admin/perf-analyze@'))).to.equal(true);
    }
    const [listedA, listedB] = await Promise.all([
      listingOf(a, 'admin/wordpress'),
      listingOf(b, 'admin/wordpress'),
    ]);
    expect(listedB).to.deep.equal(listedA);
    expect(listedB).to.include({ displayName: 'WordPress', listed: true, onShelf: true });
    expect(listedB.logo).to.equal(digestOf(LOGO));
    // Again: everything is there, nothing changes.
    await cli.okJson(['import', archive, '--store', b.host]);
    expect(await listingOf(b, 'admin/wordpress')).to.deep.equal(listedA);
  });

  it('writes an archive skopeo reads, by each version and (one version) by the bare tag', async function () {
    if (!toolAvailable('skopeo')) this.skip();
    const many = join(dir, 'wordpress.tar');
    const one = join(dir, 'one.tar');
    await cli.ok(['export', `${a.host}/admin/wordpress`, '-o', many]);
    const single = await cli.okJson<{ digest: string }>([
      'export',
      `${a.host}/admin/wordpress:1.2.0`,
      '-o',
      one,
    ]);
    const raw = async (ref: string) =>
      digestOf(Buffer.from((await runTool('skopeo', ['inspect', '--raw', ref])).stdout));
    const want = (await client(a).resolve('admin/wordpress', '2.0.0')).digest;
    expect(await raw(`oci-archive:${many}:admin/wordpress:2.0.0`)).to.equal(want);
    expect(await raw(`oci-archive:${one}:1.2.0`)).to.equal(single.digest);
    // skopeo 1.9 copies no nested index (a bundle's multi-arch component), but a plugin image.
    const plugin = `admin/perf-analyze:1.4.2-2.0.0`;
    await runTool('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      `oci-archive:${many}:${plugin}`,
      `oci:${join(dir, 'skopeo-layout')}:copy`,
    ]);
    const index = JSON.parse(await readFile(join(dir, 'skopeo-layout', 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    expect(index.manifests.map((m) => m.digest)).to.deep.equal([
      (await client(a).resolve('admin/perf-analyze', '1.4.2-2.0.0')).digest,
    ]);
  });

  it('refuses a truncated or damaged archive with what is wrong, and imports nothing', async () => {
    const archive = join(dir, 'blog.tar');
    await cli.ok(['export', `${a.host}/admin/blog:1.0.0`, '-o', archive]);
    const bytes = await readFile(archive);

    const cut = join(dir, 'cut.tar');
    await writeFile(cut, bytes);
    await truncate(cut, Math.floor(bytes.length * 0.7));
    const truncated = await cli.run(['import', cut, '--store', c.host]);
    expect(truncated.code).to.equal(1);
    expect(truncated.stderr).to.match(/^appshelf: (cannot read|.* is damaged: )/);
    expect(truncated.stderr).to.match(/nothing was imported/);

    // A layer's bytes changed in place: the tar is fine, the digest is not.
    const damaged = join(dir, 'damaged.tar');
    const copy = Buffer.from(bytes);
    const layer = (await appClosure(client(a), 'admin/blog', '1.0.0')).items.find(
      (i) => i.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip' && i.size > 1000,
    )!;
    const at = copy.indexOf(Buffer.from(`blobs/sha256/${layer.digest.slice(7)}`));
    expect(at).to.be.greaterThan(-1);
    copy[at + 512 + 100] = copy[at + 512 + 100]! ^ 0xff; // in the file's data, past its 512-byte header
    await writeFile(damaged, copy);
    const bad = await cli.run(['import', damaged, '--store', c.host]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain(`is damaged: ${layer.digest}`);

    // Nothing of it on the store: no version, no plugin image, no blob.
    const store = client(c);
    const closure = await appClosure(client(a), 'admin/blog', '1.0.0');
    for (const item of closure.items)
      expect(await store.blobExists(item.repository, item.digest), item.digest).to.equal(false);
    const app = await fetch(`${c.url}/api/v1/apps/admin/blog`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(app.status).to.equal(404);
  });

  it('prints no progress when stderr is not a terminal', async () => {
    const archive = join(dir, 'quiet.tar');
    const exported = await cli.run(['export', `${a.host}/admin/blog:1.0.0`, '-o', archive]);
    const imported = await cli.run(['import', archive, '--store', b.host]);
    expect([exported.code, imported.code]).to.deep.equal([0, 0]);
    for (const out of [exported.stderr, imported.stderr]) {
      expect(out).not.to.match(/\r|\x1b\[/);
      expect(out).not.to.match(/^(export|import): +(copied|mounted|skipped)/m);
    }
  });

  it('pushes plugin images with the app (or leaves them out), and exports and imports them', async () => {
    const template = JSON.parse(
      await readFile(
        new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url),
        'utf8',
      ),
    ) as { apps: Record<string, unknown>[]; plugins: Record<string, unknown>[] };
    for (const part of [...template.apps, ...template.plugins])
      for (const key of ['service_image', 'plugin_image'])
        if (part[key]) part[key] = { ...(part[key] as object), hub_user: '', hub_password: '' };
    const file = join(dir, 'wordpress.json');
    await writeFile(file, JSON.stringify(template));
    const source = `docker://${a.host}/admin/perf-analyze:1.4.2-1.0.0`;
    const pluginKey = String(template.plugins[0]!.plugin_key);
    const images = [...template.apps.map((x) => String(x.service_key)), pluginKey].flatMap((k) => [
      '--image',
      `${k}=${source}`,
    ]);
    const pushed = await cli.okJson<{
      plugins: { pluginKey: string; tag: string; digest: string }[];
    }>(['push', file, `${a.host}/admin/pushed:3.0.0`, ...images]);
    const tag = `3.0.0-plugin-${pluginKey}`;
    expect(pushed.plugins.map((p) => [p.pluginKey, p.tag])).to.deep.equal([[pluginKey, tag]]);
    const skipped = await cli.okJson<{ plugins: unknown[] }>([
      'push',
      file,
      `${a.host}/admin/pushed:3.0.1`,
      '--skip-plugins',
      ...images.slice(0, -2),
    ]);
    expect(skipped.plugins).to.deep.equal([]);

    const archive = join(dir, 'pushed.tar');
    await cli.ok(['export', `${a.host}/admin/pushed:3.0.0`, '-o', archive]);
    await cli.ok(['import', archive, '--store', b.host]);
    expect((await client(b).resolve('admin/pushed', tag)).digest).to.equal(
      pushed.plugins[0]!.digest,
    );
  });

  it('shows a bar per image with bytes, rate and ETA on a terminal', async function () {
    if (!toolAvailable('script', ['--version'])) this.skip();
    const archive = join(dir, 'tty.tar');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      APPSHELF_CLI_CONFIG: join(dir, 'config.json'),
      APPSHELF_CLI_SOURCE: '1',
    };
    delete env.NODE_OPTIONS;
    // script(1) gives the command a terminal; its output is what the terminal showed.
    const shown = await runTool(
      'script',
      [
        '-qec',
        `${process.execPath} ${BIN} export ${a.host}/admin/blog:1.0.0 -o ${archive}`,
        '/dev/null',
      ],
      { env },
    );
    expect(shown.stdout).to.match(
      /admin\/blog:1\.0\.0 +\[[^\]]+\] \d+% [\d.]+ (B|KiB|MiB)\/[\d.]+ (B|KiB|MiB) [\d.]+ (B|KiB|MiB)\/s ETA /,
    );
    expect(shown.stdout).to.match(/exported .*admin\/blog:1\.0\.0@sha256:/);
  });

  it('says which ref matches nothing', async () => {
    const none = await cli.run(['export', `${a.host}/admin/nothing-*`, '-o', join(dir, 'x.tar')]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.match(/admin\/nothing-\* matches no app version on the store/);
  });
});
