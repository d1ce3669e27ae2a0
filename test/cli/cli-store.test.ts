/**
 * The real `appshelf` binary against the store's API: install, info and versions; listing an app
 * and its packages (the shelf, seen anonymously); publishing drafts whose images sit in a second
 * store (followed to done, started without waiting, failing with what to do); admin reindex.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushBundle, pushTemplate } from '../store/app-pushes.js';
import { cliIn } from './run-cli.js';

const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

interface Template {
  group_version: string;
  apps: { service_key: string; share_image: string; image?: string }[];
}

describe('cli: store commands (install, info, versions, list, packages, publish, reindex)', function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: TestServer;
  let dir = '';
  let serviceKey: string;
  let template: Template;
  let bundles: { digest: string; images: string[] }[];
  const cli = cliIn(() => dir);

  /** The minimal template with its one image pointed at `image`. */
  const templateWith = (image: string, version: string): Buffer =>
    Buffer.from(
      JSON.stringify(
        {
          ...template,
          group_version: version,
          apps: [{ ...template.apps[0]!, share_image: image }],
        },
        null,
        2,
      ),
    );

  before(async () => {
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-store-'));
    template = JSON.parse(await readFile(TEMPLATE, 'utf8')) as Template;
    serviceKey = template.apps[0]!.service_key;
    // Logged in to both stores (as "appshelf login" writes it), A the default.
    const login = (s: TestServer) => ({ url: s.url, username: 'admin', key: ADMIN_KEY });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ defaultStore: a.host, stores: { [a.host]: login(a), [b.host]: login(b) } }),
      { mode: 0o600 },
    );
    const regA = new TestRegistryClient(a.url);
    const bytes = await readFile(TEMPLATE);
    bundles = [
      await pushBundle(regA, 'admin/hello', '1.0.0', bytes, [serviceKey]),
      await pushBundle(regA, 'admin/hello', '1.1.0', bytes, [serviceKey]),
    ];
    // The images drafts name live in store B (private: publishing needs B's credentials).
    const regB = new TestRegistryClient(b.url);
    await regB.pushImage('admin/base', 'v1');
    await regB.pushImage('admin/base', 'v2');
    await pushTemplate(
      regA,
      'admin/drafted',
      templateWith(`${b.host}/admin/base:v1`, '1.0'),
      '1.0',
    );
    await pushTemplate(
      regA,
      'admin/drafted',
      templateWith(`${b.host}/admin/base:v2`, '2.0'),
      '2.0',
    );
    await pushTemplate(
      regA,
      'admin/drafted',
      templateWith(`${b.host}/admin/missing:v1`, '3.0'),
      '3.0',
    );
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints or writes the install template, its images pointed at the store by digest', async () => {
    const out = join(dir, 'install.json');
    const [printed, written, badRef, missing] = await Promise.all([
      cli.ok(['install', 'admin/hello:1.0.0']),
      cli.okJson<{ reference: string; version: string; output: string }>([
        'install',
        `${a.host}/admin/hello`,
        '-o',
        out,
      ]),
      cli.run([
        'install',
        'admin/hello@sha256:0000000000000000000000000000000000000000000000000000000000000000',
      ]),
      cli.run(['install', 'admin/nope:1.0.0']),
    ]);
    const first = JSON.parse(printed) as Template;
    expect(first.group_version).to.equal('1.0.0');
    expect(first.apps[0]!.share_image).to.equal(`${a.host}/admin/hello@${bundles[0]!.images[0]}`);
    // Without a version: the latest ready one.
    expect(written).to.deep.include({ reference: `${a.host}/admin/hello:1.1.0`, version: '1.1.0' });
    const file = JSON.parse(await readFile(out, 'utf8')) as Template;
    expect(file.apps[0]!.share_image).to.equal(`${a.host}/admin/hello@${bundles[1]!.images[0]}`);
    expect(badRef.code).to.equal(2);
    expect(badRef.stderr).to.match(/^appshelf: .*names versions by tag, not by digest; write /);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^appshelf: not found \(no app admin\/nope\); check the name/);
  });

  it('shows an app, a version and the versions, as text and as JSON', async () => {
    const [app, text, version, versionText, list, listText, notVersion] = await Promise.all([
      cli.okJson<{
        app: { latestVersion: string; installs: number };
        versions: { version: string }[];
        stats: { totals: { installs: number }; days: unknown[] };
      }>(['info', 'admin/hello', '--days', '7']),
      cli.ok(['info', 'admin/hello']),
      cli.okJson<{
        state: string;
        manifestDigest: string;
        components: { serviceKey: string; imageDigest: string }[];
        template?: unknown;
      }>(['info', 'admin/hello:1.0.0']),
      cli.ok(['info', 'admin/drafted:1.0']),
      cli.okJson<{ version: string; state: string }[]>(['versions', 'admin/drafted']),
      cli.ok(['versions', `${a.host}/admin/hello`]),
      cli.run(['versions', 'admin/hello:1.0.0']),
    ]);
    expect(app.app.latestVersion).to.equal('1.1.0');
    expect(app.versions.map((v) => v.version)).to.deep.equal(['1.1.0', '1.0.0']);
    expect(app.stats.days).to.have.length(7);
    expect(app.stats.totals.installs).to.be.at.least(2); // the installs above
    expect(text).to.match(new RegExp(`^${a.host}/admin/hello\n`));
    expect(text).to.match(/\nshelf +not listed/);
    expect(text).to.match(/\nVERSION +STATE +RAINBOND +ARCH +UPDATED +DIGEST\n1\.1\.0 +ready /);
    expect(version).to.deep.include({ state: 'ready', manifestDigest: bundles[0]!.digest });
    expect(version).not.to.have.property('template');
    expect(version.components).to.deep.equal([
      {
        serviceKey,
        name: '',
        imageDigest: bundles[0]!.images[0],
        sourceRef: `hub.example/admin/hello/${serviceKey}:1.0.0`,
      },
    ]);
    expect(versionText).to.match(new RegExp(`^${a.host}/admin/drafted:1\\.0  draft\n`));
    expect(versionText).to.match(
      new RegExp(`\n${serviceKey} +- +\\(not copied yet\\) +${b.host}/admin/base:v1\n`),
    );
    expect(list.map((v) => [v.version, v.state])).to.deep.include.members([
      ['1.0', 'draft'],
      ['2.0', 'draft'],
    ]);
    expect(listText).to.match(/^VERSION +STATE/);
    expect(notVersion.code).to.equal(2);
    expect(notVersion.stderr).to.contain('versions takes an app, not a version');
  });

  it('lists an app with a package so that anyone finds and installs it, and unlists it', async () => {
    const anonymous = { config: join(dir, 'anonymous.json') };
    const [before, listed] = await Promise.all([
      cli.run(['install', `${a.host}/admin/hello:1.0.0`], anonymous),
      cli.run(['list', 'admin/hello']),
    ]);
    expect(before.code).to.equal(1);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.equal('admin/hello is listed\n');
    expect(listed.stderr).to.contain(
      'appshelf package create admin/hello <name> --versions <version>',
    );

    const [created, refused] = await Promise.all([
      cli.okJson<{ name: string; versions: string[] }>([
        'package',
        'create',
        'admin/hello',
        'stable',
        '--versions',
        '1.0.0,1.1.0',
      ]),
      cli.run(['package', 'create', 'admin/hello', 'next', '--versions', '9.9.9']),
    ]);
    expect(created).to.deep.include({ name: 'stable', versions: ['1.0.0', '1.1.0'] });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /^appshelf: the store refused the request \(invalid: no version 9\.9\.9 of admin\/hello\); check the arguments\n$/,
    );

    const [packages, onShelf, anon] = await Promise.all([
      cli.ok(['package', 'list', 'admin/hello']),
      cli.ok(['info', 'admin/hello']),
      cli.ok(['install', `${a.host}/admin/hello:1.0.0`], anonymous),
    ]);
    expect(packages).to.match(
      /^PACKAGE +TYPE +CREATED +VERSIONS\nstable +free +\d{4}-\d\d-\d\d +1\.0\.0, 1\.1\.0\n$/,
    );
    expect(onShelf).to.match(/\nshelf +on the shelf \(private\)\n/);
    expect(onShelf).to.contain('\npackages  stable (1.0.0, 1.1.0)\n');
    expect((JSON.parse(anon) as Template).group_version).to.equal('1.0.0');

    const [unlisted, deleted] = await Promise.all([
      cli.okJson<{ listed: boolean; onShelf: boolean }>(['unlist', 'admin/hello']),
      cli.ok(['package', 'delete', 'admin/hello', 'stable']),
    ]);
    expect(unlisted).to.deep.include({ listed: false, onShelf: false });
    expect(deleted).to.equal('deleted package stable of admin/hello\n');
  });

  it('publishes a draft, following the job to done; again is a no-op', async () => {
    const ref = `${a.host}/admin/drafted:1.0`;
    const r = await cli.run(['publish', ref, '--credentials-from', b.host], {
      env: { APPSHELF_PROGRESS: '1' },
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^published ${ref}@sha256:[a-f0-9]{64}\n$`));
    expect(r.stderr).to.match(
      new RegExp(`copied ${serviceKey} from ${b.host}/admin/base:v1: 2 blobs copied`),
    );
    const [again, version] = await Promise.all([
      cli.ok(['publish', ref]),
      cli.okJson<{
        state: string;
        manifestDigest: string;
        components: { imageDigest: string | null }[];
      }>(['info', ref]),
    ]);
    expect(version.state).to.equal('ready');
    expect(version.components[0]!.imageDigest).to.match(/^sha256:/);
    expect(again).to.equal(`${ref} is published already (${version.manifestDigest})\n`);
  });

  it('starts a publish without waiting, then follows it; a failing one says what to do', async () => {
    type Result = {
      reference: string;
      state: string;
      job: { id: number; state: string; progress: { total: number } };
    };
    const started = await cli.okJson<Result>([
      'publish',
      'admin/drafted:2.0',
      '--no-wait',
      '--credentials-from',
      b.host,
    ]);
    expect(started.reference).to.equal(`${a.host}/admin/drafted:2.0`);
    expect(started.job.progress.total).to.equal(1);
    expect(['pending', 'copying', 'done']).to.include(started.job.state);
    const [followed, failed, badCredential] = await Promise.all([
      cli.okJson<Result>(['publish', 'admin/drafted:2.0']),
      cli.run(['publish', 'admin/drafted:3.0', '--credentials-from', b.host]),
      cli.run(['publish', 'admin/drafted:3.0', '--credential', 'host-without-password']),
    ]);
    expect(followed.state).to.equal('ready');
    expect(followed.job).to.deep.include({ id: started.job.id, state: 'done' });
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(
      new RegExp(
        `appshelf: publishing ${a.host}/admin/drafted:3\\.0 failed \\(${serviceKey}: .+\\); fix the source or its credentials, then run "appshelf publish ${a.host}/admin/drafted:3\\.0 --retry"\n$`,
      ),
    );
    expect(badCredential.code).to.equal(2);
    // Retrying fails the same way (the image is still missing), with the job as JSON on stdout.
    const retried = await cli.run([
      'publish',
      'admin/drafted:3.0',
      '--retry',
      '--component',
      serviceKey,
      '--credentials-from',
      b.host,
      '--json',
    ]);
    expect(retried.code).to.equal(1);
    expect((JSON.parse(retried.stdout) as Result).job.state).to.equal('failed');
  });

  it('reindexes the store as admin', async () => {
    const [report, text] = await Promise.all([
      cli.okJson<{ apps: number; versions: number; skipped: unknown[] }>(['admin', 'reindex']),
      cli.ok(['admin', 'reindex', '--store', b.host]),
    ]);
    expect(report.apps).to.equal(2);
    expect(report.versions).to.equal(5);
    expect(text).to.match(/^reindexed 0 apps, 0 versions, 0 components; skipped 0 tags\n$/);
  });
});
