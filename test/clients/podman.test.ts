/**
 * podman against a real appshelf: login, push, remove, pull back, for a plain image and for a
 * multi-arch manifest list. podman runs on its own storage (vfs) and config in a temp folder.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Digest } from '../../schemas/oci.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, type ClientHome } from './client-env.js';
import { LayoutBuilder, type Desc } from './oci-layout-builder.js';

describe('clients: podman', function () {
  this.timeout(60_000);
  let srv: TestServer | undefined;
  let home: ClientHome | undefined;
  let src: string;
  let storage: string[];
  const built: Record<string, Desc> = {};

  const podman = (args: string[], input?: string) =>
    run('podman', [...storage, ...args], {
      env: home!.env,
      timeoutMs: 50_000,
      ...(input === undefined ? {} : { input }),
    });
  const lastLine = (text: string): string => text.trim().split('\n').pop()!.trim();
  /** The image ID podman gives an image is its config digest: read it from the source layout. */
  const configOf = async (manifest: Desc): Promise<string> => {
    const bytes = await readFile(join(src, 'blobs', 'sha256', manifest.digest.slice(7)), 'utf8');
    return (JSON.parse(bytes) as { config: Desc }).config.digest;
  };

  before(async function () {
    if (!toolAvailable('podman')) this.skip();
    home = await clientHome('podman');
    src = join(home.dir, 'src');
    const containersConf = join(home.dir, 'containers.conf');
    const storageConf = join(home.dir, 'storage.conf');
    await writeFile(
      containersConf,
      '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n',
    );
    await writeFile(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = "${join(home.dir, 'root')}"\nrunroot = "${join(home.dir, 'runroot')}"\n`,
    );
    Object.assign(home.env, {
      CONTAINERS_CONF: containersConf,
      CONTAINERS_STORAGE_CONF: storageConf,
    });
    storage = [
      '--root',
      join(home.dir, 'root'),
      '--runroot',
      join(home.dir, 'runroot'),
      '--tmpdir',
      join(home.dir, 'libpod-tmp'),
      '--storage-driver',
      'vfs',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'none',
    ];
    srv = await startTestServer();

    const layout = new LayoutBuilder(src);
    built.image = layout.image();
    built.amd64 = layout.image({ platform: { architecture: 'amd64', os: 'linux' } });
    built.arm64 = layout.image({ platform: { architecture: 'arm64', os: 'linux' } });
    built.multi = layout.index([built.amd64, built.arm64]);
    layout.tag(built.image, 'image');
    layout.tag(built.multi, 'multi');
    await layout.save();
  });

  after(async () => {
    await srv?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('logs in with an isolated auth file', async () => {
    await podman(
      [
        'login',
        '--tls-verify=false',
        '--authfile',
        home!.authFile,
        '--username',
        'admin',
        '--password-stdin',
        srv!.host,
      ],
      ADMIN_KEY,
    );
    const auth = JSON.parse(await readFile(home!.authFile, 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(auth.auths[srv!.host]!.auth, 'base64').toString()).to.equal(
      `admin:${ADMIN_KEY}`,
    );
    expect(
      lastLine(
        (await podman(['login', '--get-login', '--authfile', home!.authFile, srv!.host])).stdout,
      ),
    ).to.equal('admin');
  });

  it('pushes an image, removes it, and pulls it back with the same image ID and digest', async () => {
    const target = `${srv!.host}/clients/podman:v1`;
    const id = lastLine((await podman(['pull', '--quiet', `oci:${src}:image`])).stdout);
    expect(`sha256:${id}`).to.equal(await configOf(built.image!));
    await podman(['tag', id, target]);
    const digestFile = join(home!.dir, 'pushed-digest');
    await podman([
      'push',
      '--quiet',
      '--tls-verify=false',
      '--authfile',
      home!.authFile,
      '--digestfile',
      digestFile,
      target,
    ]);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    expect((await srv!.app.registry.meta.manifestByTag('clients/podman', 'v1'))?.digest).to.equal(
      pushed,
    );

    await podman(['rmi', '--force', id]);
    expect((await podman(['images', '--quiet'])).stdout.trim()).to.equal('');

    const pulled = lastLine(
      (
        await podman([
          'pull',
          '--quiet',
          '--tls-verify=false',
          '--authfile',
          home!.authFile,
          target,
        ])
      ).stdout,
    );
    expect(pulled).to.equal(id);
    const inspected = (
      await podman(['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', target])
    ).stdout.trim();
    expect(inspected).to.equal(`${id} ${pushed}`);
  });

  it('pushes a multi-arch manifest list with --all and pulls one platform back', async () => {
    const target = `${srv!.host}/clients/podman-multi:v1`;
    await podman(['manifest', 'create', target]);
    await podman(['manifest', 'add', '--all', target, `oci:${src}:multi`]);
    const digestFile = join(home!.dir, 'pushed-list-digest');
    await podman([
      'manifest',
      'push',
      '--all',
      '--quiet',
      '--tls-verify=false',
      '--authfile',
      home!.authFile,
      '--digestfile',
      digestFile,
      target,
      `docker://${target}`,
    ]);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const stored = await srv!.app.registry.meta.manifestByTag('clients/podman-multi', 'v1');
    expect(stored?.digest).to.equal(pushed);
    const children = (JSON.parse(stored!.content.toString('utf8')) as { manifests: Desc[] })
      .manifests;
    expect(children.map((c) => [c.digest, c.platform?.architecture])).to.deep.equal([
      [built.amd64!.digest, 'amd64'],
      [built.arm64!.digest, 'arm64'],
    ]);
    for (const child of children)
      expect(
        await srv!.app.registry.meta.manifestByDigest(
          'clients/podman-multi',
          child.digest as Digest,
        ),
      ).to.not.equal(undefined);

    const pulled = lastLine(
      (
        await podman([
          'pull',
          '--quiet',
          '--arch',
          'arm64',
          '--tls-verify=false',
          '--authfile',
          home!.authFile,
          target,
        ])
      ).stdout,
    );
    expect(`sha256:${pulled}`).to.equal(await configOf(built.arm64!));
    // podman records the list it pulled by as the image's digest, and both digests as repo digests.
    const format = '{{.Architecture}} {{.Digest}} {{range .RepoDigests}}{{.}} {{end}}';
    const [arch, digest, ...repoDigests] = (
      await podman(['image', 'inspect', '--format', format, pulled])
    ).stdout
      .trim()
      .split(/\s+/);
    expect([arch, digest]).to.deep.equal(['arm64', pushed]);
    const repository = `${srv!.host}/clients/podman-multi`;
    expect(repoDigests).to.have.members([
      `${repository}@${pushed}`,
      `${repository}@${built.arm64!.digest}`,
    ]);
  });
});
