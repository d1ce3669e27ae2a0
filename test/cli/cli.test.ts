/**
 * The real `appshelf` binary (`node bin/appshelf.js`, run from the sources) against real stores:
 * login, keys, push from an OCI layout and from a second registry, pull, export from one store
 * and import into another with the bundle's digest unchanged, search, gc, and the exit codes.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyImage, OciLayout, RegistryClient } from '../../registry/client/index.js';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { buildImage, buildIndex, type BuiltManifest } from '../registry/client/images.js';

const BIN = fileURLToPath(new URL('../../bin/appshelf.js', import.meta.url));
const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Writes a built image (children first) into an OCI layout, tagged. */
async function writeLayout(dir: string, image: BuiltManifest, tag: string): Promise<void> {
  const layout = await OciLayout.open(dir, { create: true });
  const put = async (m: BuiltManifest): Promise<void> => {
    for (const child of m.children) await put(child);
    for (const b of m.blobs) await layout.push(b.desc, b.bytes);
    await layout.push(m.desc, m.bytes);
  };
  await put(image);
  await layout.pushReference(image.desc, image.bytes, tag);
}

describe('cli: the appshelf command', function () {
  this.timeout(60_000);
  let a: TestServer;
  let b: TestServer;
  let dir: string;
  let serviceKey: string;
  let bundleDigest: string;

  const run = (
    args: string[],
    options: { stdin?: string; config?: string; env?: Record<string, string> } = {},
  ): Promise<Run> =>
    new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        APPSHELF_CLI_CONFIG: options.config ?? join(dir, 'config.json'),
        APPSHELF_CLI_SOURCE: '1',
        ...options.env,
      };
      delete env.APPSHELF_STORE;
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: dir,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  const ok = async (args: string[], options: Parameters<typeof run>[1] = {}): Promise<string> => {
    const r = await run(args, options);
    expect(r.code, `appshelf ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const okJson = async <T>(args: string[], options: Parameters<typeof run>[1] = {}): Promise<T> =>
    JSON.parse(await ok([...args, '--json'], options)) as T;
  /** The store's view of a version (GET /api/v1/apps/.../versions/...). */
  const versionOf = async (srv: TestServer, app: string, version: string) => {
    const res = await fetch(`${srv.url}/api/v1/apps/${app}/versions/${version}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status).to.equal(200);
    return (await res.json()) as {
      state: string;
      manifestDigest: string;
      components: { serviceKey: string; imageDigest: string }[];
    };
  };
  const adminClient = (srv: TestServer) =>
    new RegistryClient({ host: srv.url, credentials: { username: 'admin', password: ADMIN_KEY } });

  before(async () => {
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-'));
    serviceKey = (
      JSON.parse(await readFile(TEMPLATE, 'utf8')) as { apps: { service_key: string }[] }
    ).apps[0]!.service_key;
    // A multi-arch component image in an OCI layout, built in-process.
    await writeLayout(
      join(dir, 'layout'),
      buildIndex([buildImage({ layerSizes: [40_000] }), buildImage({ architecture: 'arm64' })]),
      'v1',
    );
    // Another image in a second registry (store B), for a registry-to-registry push.
    const other = join(dir, 'other');
    await writeLayout(other, buildImage({ layerSizes: [30_000, 5_000] }), 'v2');
    await copyImage({
      from: { client: await OciLayout.open(other), repository: '', reference: 'v2' },
      to: { client: adminClient(b), repository: 'admin/base', tag: 'v2' },
    });
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers usage errors with exit code 2 and one line saying what to do', async () => {
    const [none, unknown, badRef, noStore, daemon] = await Promise.all([
      run([]),
      run(['frobnicate']),
      run(['pull', 'no-namespace:1.0', '--store', a.host]),
      run(['whoami']),
      run([
        'push',
        TEMPLATE,
        `${a.host}/admin/hello:1.0.0`,
        '--image',
        `${serviceKey}=oci-archive:hello.tar`,
      ]),
    ]);
    expect([none.code, unknown.code, badRef.code, noStore.code, daemon.code]).to.deep.equal([
      2, 2, 2, 2, 2,
    ]);
    expect(unknown.stderr.trim().split('\n')).to.have.length(1);
    expect(badRef.stderr).to.match(
      /^appshelf: "no-namespace:1.0" is not an app reference .*; write /,
    );
    expect(noStore.stderr).to.match(/^appshelf: no store given; .*appshelf login/);
    expect(daemon.stderr).to.match(
      /oci-archive: transport is not supported yet; give docker:\/\/<ref>, docker-daemon:/,
    );
  });

  it('logs in with a key, keeps it readable by the owner only, and tells who is signed in', async () => {
    const refused = await run(['login', a.url, '--key', 'ask_not-a-real-key-000000000000']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /^appshelf: the store at http:\/\/127\.0\.0\.1:\d+ refused the credentials .*; run "appshelf login/,
    );

    const login = await okJson<{ store: string; username: string; default: boolean }>([
      'login',
      a.url,
      '--key',
      ADMIN_KEY,
    ]);
    expect(login).to.include({ store: a.host, username: 'admin', default: true });
    expect((await stat(join(dir, 'config.json'))).mode & 0o777).to.equal(0o600);
    // A second store through stdin; the first stays the default.
    await ok(['login', b.host, '--key-stdin', '--no-default'], { stdin: `${ADMIN_KEY}\n` });
    const [plain, me] = await Promise.all([
      ok(['whoami']),
      okJson<{ store: string; name: string }>(['whoami', '--store', b.host]),
    ]);
    expect(plain).to.equal(`admin on ${a.host} (admin)\n`);
    expect(me).to.include({ store: b.host, name: 'admin' });
  });

  it('creates, lists and revokes access keys; a revoked key stops working', async () => {
    const created = await okJson<{ id: number; key: string; scopes: string[] }>([
      'keys',
      'create',
      'ci',
      '--scope',
      'read,push',
    ]);
    expect(created.scopes).to.deep.equal(['read', 'push']);
    const ciConfig = join(dir, 'ci-config.json');
    const [list] = await Promise.all([
      okJson<{ id: number; name: string }[]>(['keys', 'list']),
      ok(['login', a.host, '--key', created.key], { config: ciConfig }),
    ]);
    expect(list.map((k) => k.name)).to.include('ci');
    expect(JSON.stringify(list)).not.to.contain(created.key);
    await ok(['keys', 'revoke', 'ci']);
    const [after, listed] = await Promise.all([
      run(['whoami'], { config: ciConfig }),
      okJson<{ name: string }[]>(['keys', 'list']),
    ]);
    expect(after.code).to.equal(1);
    expect(after.stderr).to.match(/refused the credentials/);
    expect(listed.map((k) => k.name)).not.to.include('ci');
  });

  it('pushes a template with its image from an OCI layout as a §3 bundle', async () => {
    const first = await run(
      [
        'push',
        TEMPLATE,
        `${a.host}/admin/hello:1.0.0`,
        '--image',
        `${serviceKey}=oci:${join(dir, 'layout')}:v1`,
        '--json',
      ],
      {
        env: { APPSHELF_PROGRESS: '1' },
      },
    );
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.match(
      /: copied  sha256:[a-f0-9]{12} +\d+(\.\d)? (B|KiB)  \[\d\/\d\]\n/,
    );
    const pushed = JSON.parse(first.stdout) as {
      reference: string;
      digest: string;
      components: { serviceKey: string; digest: string }[];
      stats: { blobsCopied: number };
    };
    expect(pushed.reference).to.equal(`${a.host}/admin/hello:1.0.0`);
    expect(pushed.stats.blobsCopied).to.equal(4); // two configs, two layers
    bundleDigest = pushed.digest;

    const client = adminClient(a);
    const { bytes } = await client.fetchManifest('admin/hello', '1.0.0');
    const index = JSON.parse(bytes.toString()) as {
      artifactType: string;
      manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[];
      annotations: Record<string, string>;
    };
    expect(index.artifactType).to.equal(BundleTypes.bundle);
    expect(index.annotations[BundleAnnotations.version]).to.equal('1.0.0');
    // The template's descriptor carries no artifactType (skopeo --preserve-digests needs that); its manifest does.
    expect(index.manifests[0]!.artifactType).to.equal(undefined);
    const templateManifest = JSON.parse(
      (await client.fetchManifest('admin/hello', index.manifests[0]!.digest)).bytes.toString(),
    ) as { artifactType?: string };
    expect(templateManifest.artifactType).to.equal(BundleTypes.template);
    expect(index.manifests[1]!.annotations).to.deep.equal({
      [BundleAnnotations.component]: serviceKey,
      [BundleAnnotations.source]:
        'hub.appshelf.example/acme/f8d5286dc7cf7f129f1439cd706c3c4c:20260801090000',
    });
    expect(index.manifests[1]!.digest).to.equal(pushed.components[0]!.digest);
    // The store indexed it as a version ready to install.
    const version = await versionOf(a, 'admin/hello', '1.0.0');
    expect(version).to.deep.include({ state: 'ready', manifestDigest: bundleDigest });
    expect(version.components.map((c) => [c.serviceKey, c.imageDigest])).to.deep.equal([
      [serviceKey, pushed.components[0]!.digest],
    ]);

    // Pushing the same again copies nothing and keeps the bundle (and its digest).
    const again = await run([
      'push',
      TEMPLATE,
      'admin/hello:1.0.0',
      '--store',
      a.host,
      '--image',
      `${serviceKey}=oci:${join(dir, 'layout')}`,
    ]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(`pushed ${a.host}/admin/hello:1.0.0@${bundleDigest}\n`);
    expect(again.stderr).to.contain(
      '1 component image: 0 blobs copied (0 B), 0 mounted, 4 already there',
    );
  });

  it('gives the same bundle digest when the same template and images are pushed twice', async () => {
    const push = (ref: string) =>
      okJson<{ digest: string }>([
        'push',
        TEMPLATE,
        ref,
        '--image',
        `${serviceKey}=oci:${join(dir, 'layout')}:v1`,
      ]);
    // Into another app of this store and into a second store: no time in the bundle changes it.
    const [twin, elsewhere] = [
      await push(`${a.host}/admin/twin:1.0.0`),
      await push(`${b.host}/admin/hello:1.0.0`),
    ];
    expect([twin.digest, elsewhere.digest]).to.deep.equal([bundleDigest, bundleDigest]);
  });

  it('pushes with the image copied from a second registry', async () => {
    const pushed = await okJson<{
      digest: string;
      components: { source: string }[];
      stats: { blobsCopied: number };
    }>([
      'push',
      TEMPLATE,
      `${a.host}/admin/relay:2.0.0`,
      '--image',
      `${serviceKey}=docker://${b.host}/admin/base:v2`,
    ]);
    expect(pushed.stats.blobsCopied).to.equal(3);
    expect(pushed.components[0]!.source).to.equal(`${b.host}/admin/base:v2`);
    expect(await adminClient(a).manifestExists('admin/relay', '2.0.0')).to.equal(true);
  });

  it('names the component and its source when an image cannot be copied', async () => {
    const missing = await run([
      'push',
      TEMPLATE,
      `${a.host}/admin/relay:2.0.1`,
      '--image',
      `${serviceKey}=docker://${b.host}/admin/base:no-such-tag`,
    ]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(
      new RegExp(`^appshelf: component ${serviceKey} from ${b.host}/admin/base:no-such-tag: `, 'm'),
    );
  });

  it('refuses a broken template and an unknown component with what to fix', async () => {
    const broken = join(dir, 'broken.json');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        broken,
        JSON.stringify({ group_key: 'k', group_name: 'x', group_version: '1', apps: [{}] }),
      ),
    );
    const [bad, unknown] = await Promise.all([
      run(['push', broken, `${a.host}/admin/broken:1`]),
      run(['push', TEMPLATE, `${a.host}/admin/hello:1.0.0`, '--image', 'nope=oci:x']),
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(
      /broken\.json: invalid template: apps\[0\]\.\w+: .*; fix the template/,
    );
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain(
      `the template has no component "nope"; its components are ${serviceKey}`,
    );
  });

  it('pulls the template back, as pushed or pointed at the store, and the images as an OCI layout', async () => {
    const [, pulled] = await Promise.all([
      ok(['pull', `${a.host}/admin/hello:1.0.0`, '-o', join(dir, 'raw'), '--raw']),
      okJson<{
        digest: string;
        components: { serviceKey: string; image: string }[];
        images: { tag: string };
      }>(['pull', `${a.host}/admin/hello:1.0.0`, '-o', join(dir, 'pulled'), '--images']),
    ]);
    expect(await readFile(join(dir, 'raw', 'template.json'))).to.deep.equal(
      await readFile(TEMPLATE),
    );
    expect(pulled.digest).to.equal(bundleDigest);
    const template = JSON.parse(await readFile(join(dir, 'pulled', 'template.json'), 'utf8')) as {
      group_version: string;
      apps: { share_image: string }[];
    };
    expect(template.group_version).to.equal('1.0.0');
    expect(template.apps[0]!.share_image)
      .to.equal(pulled.components[0]!.image)
      .and.to.match(new RegExp(`^${a.host}/admin/hello@sha256:`));
    const layout = await OciLayout.open(join(dir, 'pulled', 'images'));
    expect((await layout.resolve('1.0.0')).digest).to.equal(bundleDigest);
  });

  it('exports from one store and imports into another with the bundle digest unchanged', async () => {
    const archive = join(dir, 'app.tar');
    const exported = await okJson<{ digest: string; size: number }>([
      'export',
      `${a.host}/admin/hello:1.0.0`,
      '-o',
      archive,
    ]);
    expect(exported.digest).to.equal(bundleDigest);
    expect((await stat(archive)).size).to.equal(exported.size);

    const imported = await okJson<{ reference: string; digest: string }>([
      'import',
      archive,
      '--store',
      b.host,
    ]);
    expect([imported.reference, imported.digest]).to.deep.equal([
      `${b.host}/admin/hello:1.0.0`,
      bundleDigest,
    ]);
    expect((await adminClient(b).resolve('admin/hello', '1.0.0')).digest).to.equal(bundleDigest);
    expect(await versionOf(b, 'admin/hello', '1.0.0')).to.deep.include({
      state: 'ready',
      manifestDigest: bundleDigest,
    });
    // Under another name too.
    const renamed = await okJson<{ digest: string }>([
      'import',
      archive,
      `${b.host}/admin/copy:9.9.9`,
    ]);
    expect(renamed.digest).to.equal(bundleDigest);
  });

  it('finds the pushed apps with search', async () => {
    const [found, text] = await Promise.all([
      okJson<{ items: { namespace: string; name: string; latestVersion: string | null }[] }>([
        'search',
        'hello',
      ]),
      ok(['search', 'hello', '--store', b.host]),
    ]);
    expect(found.items.map((i) => `${i.namespace}/${i.name}`)).to.include('admin/hello');
    expect(text).to.match(/^APP\s+VERSION\s+INSTALLS\s+SUMMARY\n[\s\S]*admin\/hello\s/);
  });

  it('serves a store that the printed admin key logs in to', async () => {
    const data = join(dir, 'served');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      APPSHELF_CLI_SOURCE: '1',
      APPSHELF_DATA: data,
      APPSHELF_LISTEN: '127.0.0.1:0',
      APPSHELF_LOG_LEVEL: 'info',
    };
    for (const name of ['APPSHELF_CONFIG', 'APPSHELF_ADMIN_KEY', 'NODE_OPTIONS']) delete env[name];
    const server = spawn(process.execPath, [BIN, 'serve'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => server.on('close', (code) => done(code)));
    try {
      let output = '';
      const started = await new Promise<{ url: string; key: string }>((done, fail) => {
        const look = (d: Buffer): void => {
          output += d.toString();
          const url = /appshelf listening on (http:\/\/[\d.:]+)/.exec(output)?.[1];
          const key = /admin access key is (ask_\S+)/.exec(output)?.[1];
          if (url && key) done({ url, key });
        };
        server.stdout.on('data', look);
        server.stderr.on('data', look);
        server.on('close', () => fail(new Error(`serve exited early:\n${output}`)));
      });
      const config = join(dir, 'served-config.json');
      await ok(['login', started.url, '--key-stdin'], { stdin: started.key, config });
      expect(await ok(['whoami'], { config })).to.match(/^admin on 127\.0\.0\.1:\d+ \(admin\)\n$/);
      server.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      await exited;
    }
  });

  it('runs gc as admin, and forgets a store on logout', async () => {
    const report = await okJson<{ dryRun: boolean; blobsDeleted: number }>([
      'admin',
      'gc',
      '--dry-run',
    ]);
    expect(report.dryRun).to.equal(true);
    expect(await ok(['logout'])).to.equal(`logged out of ${a.host}\n`);
    const after = await run(['whoami', '--store', a.host]);
    expect(after.code).to.equal(2);
    expect(after.stderr).to.contain(`not logged in to ${a.host}`);
  });
});
