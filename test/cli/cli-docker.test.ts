/**
 * Docker images as component sources of `appshelf push`: `docker-archive:` tars built in-process
 * (the classic `docker save` layout, and the Docker 25+ one with blobs/ paths and a gzip'ed layer),
 * and `docker-daemon:` images exported from a private Docker engine (test/clients/dockerd.ts),
 * pulled back by that engine from the store to show the pushed image is the same image.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../registry/client/index.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { dockerArchive, tarArchive } from '../helpers/tar.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from '../clients/dockerd.js';
import { cliIn } from './run-cli.js';

const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

interface Manifest {
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
}

const sha = (data: Buffer | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * A Docker 25+ style archive of two images: config and layers under blobs/sha256/, one layer
 * gzip'ed (as the containerd image store saves pulled layers).
 */
function blobsArchive(): {
  tar: Buffer;
  images: { tag: string; config: string; layer: string; gzip: boolean }[];
} {
  const images = [
    { tag: 'acme/web:1', files: { 'web.txt': 'web\n' }, gzip: true },
    { tag: 'acme/db:2', files: { 'db.txt': 'db\n' }, gzip: false },
  ];
  const entries: { name: string; data: Buffer }[] = [];
  const manifest: object[] = [];
  const out: { tag: string; config: string; layer: string; gzip: boolean }[] = [];
  for (const image of images) {
    const plain = tarArchive(Object.entries(image.files).map(([name, data]) => ({ name, data })));
    const layer = image.gzip ? gzipSync(plain) : plain;
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha(plain)] },
      }),
    );
    const path = (d: string) => `blobs/sha256/${d.slice(7)}`;
    entries.push(
      { name: path(sha(layer)), data: layer },
      { name: path(sha(config)), data: config },
    );
    manifest.push({ Config: path(sha(config)), RepoTags: [image.tag], Layers: [path(sha(layer))] });
    out.push({ tag: image.tag, config: sha(config), layer: sha(layer), gzip: image.gzip });
  }
  // manifest.json first, as Docker 25+ writes it (the classic layout writes it last).
  return {
    tar: tarArchive([
      { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
      ...entries,
    ]),
    images: out,
  };
}

describe('cli: Docker images as push sources (docker-archive:, docker-daemon:)', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let dir = '';
  let serviceKey: string;
  const cli = cliIn(() => dir);
  const hello = dockerArchive('appshelf-test/hello:1', {
    'hello.txt': 'hello from appshelf cli docker test\n',
  });

  /** The component image the bundle `repo:version` binds, as the store holds it. */
  async function componentManifest(
    repo: string,
    version: string,
  ): Promise<{ digest: string; manifest: Manifest }> {
    const client = new RegistryClient({
      host: srv.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const index = JSON.parse((await client.fetchManifest(repo, version)).bytes.toString()) as {
      manifests: { digest: string }[];
    };
    const child = index.manifests[1]!;
    return {
      digest: child.digest,
      manifest: JSON.parse(
        (await client.fetchManifest(repo, child.digest)).bytes.toString(),
      ) as Manifest,
    };
  }

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-docker-'));
    serviceKey = (
      JSON.parse(await readFile(TEMPLATE, 'utf8')) as { apps: { service_key: string }[] }
    ).apps[0]!.service_key;
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        defaultStore: srv.host,
        stores: { [srv.host]: { url: srv.url, username: 'admin', key: ADMIN_KEY } },
      }),
      { mode: 0o600 },
    );
  });

  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('docker-archive: (in-process tars)', () => {
    it('pushes the image of a docker save tar as it is: uncompressed layers keep their diff_id as digest', async () => {
      const classic = join(dir, 'hello.tar');
      const modern = join(dir, 'two.tar.gz');
      const two = blobsArchive();
      await writeFile(classic, hello.tar);
      await writeFile(modern, gzipSync(two.tar));
      const [first, second, ambiguous, unknown, broken] = await Promise.all([
        cli.okJson<{ components: { source: string }[] }>([
          'push',
          TEMPLATE,
          'admin/archived:1.0.0',
          '--image',
          `${serviceKey}=docker-archive:${classic}`,
        ]),
        cli.ok([
          'push',
          TEMPLATE,
          'admin/archived:2.0.0',
          '--image',
          `${serviceKey}=docker-archive:${modern}:acme/web:1`,
        ]),
        cli.run([
          'push',
          TEMPLATE,
          'admin/archived:3.0.0',
          '--image',
          `${serviceKey}=docker-archive:${modern}`,
        ]),
        cli.run([
          'push',
          TEMPLATE,
          'admin/archived:3.0.0',
          '--image',
          `${serviceKey}=docker-archive:${modern}:acme/nope:1`,
        ]),
        cli.run([
          'push',
          TEMPLATE,
          'admin/archived:3.0.0',
          '--image',
          `${serviceKey}=docker-archive:${TEMPLATE}`,
        ]),
      ]);
      // The source recorded is the image the template names (the archive only supplied it).
      expect(first.components[0]!.source).to.match(/^hub\.appshelf\.example\//);
      expect(second).to.match(/^pushed .*admin\/archived:2\.0\.0@sha256:/);

      const a = await componentManifest('admin/archived', '1.0.0');
      expect(a.manifest.config.digest).to.equal(hello.imageId);
      expect(a.manifest.layers.map((l) => [l.mediaType, l.digest])).to.deep.equal([
        ['application/vnd.oci.image.layer.v1.tar', hello.diffId],
      ]);
      const b = await componentManifest('admin/archived', '2.0.0');
      expect(b.manifest.config.digest).to.equal(two.images[0]!.config);
      expect(b.manifest.layers.map((l) => [l.mediaType, l.digest])).to.deep.equal([
        ['application/vnd.oci.image.layer.v1.tar+gzip', two.images[0]!.layer],
      ]);

      expect([ambiguous.code, unknown.code, broken.code]).to.deep.equal([2, 2, 1]);
      expect(ambiguous.stderr).to.match(
        /the archive holds 2 images; name one: docker-archive:.*:<name>:<tag> \(acme\/web:1, acme\/db:2\)\n$/,
      );
      expect(unknown.stderr).to.contain('the archive holds no image named acme/nope:1');
      expect(broken.stderr).to.match(
        /minimal\.json is not a usable docker-archive \(.*\); give a tar written by "docker save"\n$/,
      );
    });

    it('says where it looked for a Docker engine that is not there', async () => {
      const socket = join(dir, 'no-docker.sock');
      const r = await cli.run(
        [
          'push',
          TEMPLATE,
          'admin/archived:4.0.0',
          '--image',
          `${serviceKey}=docker-daemon:hello:1`,
        ],
        { env: { DOCKER_HOST: `unix://${socket}` } },
      );
      expect(r.code).to.equal(1);
      expect(r.stderr.split('\n').at(-2)).to.equal(
        `appshelf: cannot reach the Docker engine at unix://${socket} (ENOENT); start Docker, or set DOCKER_HOST to its socket (unix:///var/run/docker.sock)`,
      );
    });
  });

  describe('docker-daemon: (a private Docker engine)', () => {
    let engine: Dockerd | undefined;

    before(async function () {
      const reason = dockerdUnavailable();
      if (reason) {
        console.log(`    skipped: ${reason}`);
        this.skip();
      }
      engine = await startDockerd({ insecureRegistries: [srv.host] });
      const file = join(engine.dir, 'hello.tar');
      await writeFile(file, hello.tar);
      await engine.docker(['load', '-i', file]);
    });

    after(async () => {
      await engine?.stop();
    });

    it('exports the image from the engine, pushes it, and the engine pulls back the same image', async () => {
      const e = engine!;
      const temp = join(dir, 'tmp');
      await mkdir(temp);
      const env = { DOCKER_HOST: `unix://${e.socket}`, APPSHELF_PROGRESS: '1', TMPDIR: temp };
      const [pushed, missing] = await Promise.all([
        cli.run(
          [
            'push',
            TEMPLATE,
            'admin/dockered:1.0.0',
            '--image',
            `${serviceKey}=docker-daemon:appshelf-test/hello:1`,
            '--json',
          ],
          { env },
        ),
        cli.run(
          [
            'push',
            TEMPLATE,
            'admin/dockered:9.9.9',
            '--image',
            `${serviceKey}=docker-daemon:appshelf-test/nope:1`,
          ],
          { env },
        ),
      ]);
      expect(pushed.code, pushed.stderr).to.equal(0);
      expect(pushed.stderr).to.contain('exporting appshelf-test/hello:1 from the Docker engine');
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(
        /^appshelf: image source "docker-daemon:appshelf-test\/nope:1": the Docker engine has no image appshelf-test\/nope:1; pull or build it first/m,
      );

      const { digest, manifest } = await componentManifest('admin/dockered', '1.0.0');
      expect(manifest.config.digest).to.equal(hello.imageId);
      expect(manifest.layers.map((l) => l.digest)).to.deep.equal([hello.diffId]);
      // The export was staged on disk and removed, after the push and after the failure (tsx keeps its cache there too).
      expect((await readdir(temp)).filter((name) => name.startsWith('appshelf-'))).to.deep.equal(
        [],
      );

      await e.docker(['login', srv.host, '-u', 'admin', '--password-stdin'], { input: ADMIN_KEY });
      await e.docker(['rmi', 'appshelf-test/hello:1']);
      await e.docker(['pull', `${srv.host}/admin/dockered@${digest}`]);
      const { stdout } = await e.docker([
        'image',
        'inspect',
        `${srv.host}/admin/dockered@${digest}`,
      ]);
      expect((JSON.parse(stdout) as { Id: string }[])[0]!.Id).to.equal(hello.imageId);
    });
  });
});
