/**
 * The Docker engine against the registry: a private dockerd (vfs, no bridge, no iptables) with the
 * test server as an insecure registry, driven by the docker CLI. It loads an image built here,
 * logs in with the admin's key, pushes, pushes again (blobs already there, then a cross-repository
 * mount), pulls back after removing the image, and logs out.
 */
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { dockerArchive } from '../helpers/tar.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from './dockerd.js';

const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT = [SCHEMA2, 'application/vnd.oci.image.manifest.v1+json'].join(', ');
const HELLO = 'hello from appshelf docker test\n';

interface PushedManifest {
  mediaType: string;
  config: { digest: string };
  layers: { mediaType: string; digest: string }[];
}

describe('clients: Docker engine (dockerd) login, push, pull', function () {
  this.timeout(90_000);
  let srv: TestServer | undefined;
  let engine: Dockerd | undefined;
  let registry: TestRegistryClient;
  let repo: string;
  const image = dockerArchive('appshelf-test/hello:local', {
    'hello.txt': HELLO,
  });

  before(async function () {
    const reason = dockerdUnavailable();
    if (reason) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
    srv = await startTestServer();
    registry = new TestRegistryClient(srv.url);
    repo = `${srv.host}/admin/docker-hello`;
    engine = await startDockerd({ insecureRegistries: [srv.host] });
  });

  after(async () => {
    try {
      await engine?.stop();
    } finally {
      await srv?.close();
    }
  });

  /** Fails with the engine's log tail appended, so a daemon-side error is visible in the report. */
  async function docker(args: string[], options: { input?: string; allowFailure?: boolean } = {}) {
    const e = engine!;
    try {
      return await e.docker(args, options);
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n--- dockerd log (tail) ---\n${e.log().slice(-2000)}`,
      );
    }
  }

  async function inspect(
    ref: string,
  ): Promise<{ Id: string; RepoDigests: string[]; RepoTags: string[] }> {
    const { stdout } = await docker(['image', 'inspect', ref]);
    const [info] = JSON.parse(stdout) as {
      Id: string;
      RepoDigests: string[];
      RepoTags: string[];
    }[];
    return info!;
  }

  async function registryManifest(
    name: string,
    reference: string,
  ): Promise<{ digest: string; manifest: PushedManifest }> {
    const res = await registry.request('GET', `/v2/${name}/manifests/${reference}`, {
      headers: { accept: ACCEPT },
    });
    expect(res.status, `GET ${name}:${reference}`).to.equal(200);
    const body = await res.text();
    return {
      digest: res.headers.get('docker-content-digest')!,
      manifest: JSON.parse(body) as PushedManifest,
    };
  }

  function pushedDigest(output: string): string {
    const m = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(output);
    expect(m, `docker push output:\n${output}`).to.not.equal(null);
    return m![1]!;
  }

  it('loads an image built in-process (docker load of a docker-archive tar)', async () => {
    const file = join(engine!.dir, 'image.tar');
    await writeFile(file, image.tar);
    await docker(['load', '-i', file]);
    expect((await inspect('appshelf-test/hello:local')).Id).to.equal(image.imageId);
  });

  it('logs in with the admin key on stdin and keeps the credentials in its own DOCKER_CONFIG', async () => {
    const { stdout } = await docker(['login', srv!.host, '-u', 'admin', '--password-stdin'], {
      input: ADMIN_KEY,
    });
    expect(stdout).to.include('Login Succeeded');
    const config = JSON.parse(await readFile(join(engine!.configDir, 'config.json'), 'utf8')) as {
      auths?: Record<string, unknown>;
    };
    expect(config.auths).to.have.property(srv!.host);
  });

  it('refuses a wrong key', async () => {
    const other = join(engine!.dir, 'client-wrong');
    const res = await engine!.docker(
      ['--config', other, 'login', srv!.host, '-u', 'admin', '--password-stdin'],
      { input: 'ask_wrong', allowFailure: true },
    );
    expect(res.code).to.not.equal(0);
    expect(res.stderr).to.match(/unauthorized|denied|401/i);
  });

  it('pushes; the registry serves the manifest docker reports, with the image config as pushed', async () => {
    await docker(['tag', 'appshelf-test/hello:local', `${repo}:v1`]);
    const { stdout } = await docker(['push', `${repo}:v1`]);
    const digest = pushedDigest(stdout);
    const { digest: served, manifest } = await registryManifest('admin/docker-hello', 'v1');
    expect(served).to.equal(digest);
    expect(manifest.mediaType).to.equal(SCHEMA2);
    expect(manifest.config.digest).to.equal(image.imageId);
    expect(manifest.layers).to.have.length(1);
    expect((await inspect(`${repo}:v1`)).RepoDigests).to.include(`${repo}@${digest}`);
  });

  it('pushes a second tag of the same image: its blobs are already there', async () => {
    await docker(['tag', 'appshelf-test/hello:local', `${repo}:v2`]);
    const { stdout } = await docker(['push', `${repo}:v2`]);
    expect(stdout).to.include('Layer already exists');
    const v1 = await registryManifest('admin/docker-hello', 'v1');
    expect(pushedDigest(stdout)).to.equal(v1.digest);
    expect((await registryManifest('admin/docker-hello', 'v2')).digest).to.equal(v1.digest);
    const tags = await registry.request('GET', '/v2/admin/docker-hello/tags/list');
    expect(((await tags.json()) as { tags: string[] }).tags).to.have.members(['v1', 'v2']);
  });

  it('pushes into another repository by mounting the layer from the first', async () => {
    const copy = `${srv!.host}/admin/docker-hello-copy`;
    await docker(['tag', 'appshelf-test/hello:local', `${copy}:v1`]);
    const { stdout } = await docker(['push', `${copy}:v1`]);
    expect(stdout).to.include('Mounted from admin/docker-hello');
    const v1 = await registryManifest('admin/docker-hello', 'v1');
    expect(pushedDigest(stdout)).to.equal(v1.digest);
    expect((await registryManifest('admin/docker-hello-copy', 'v1')).digest).to.equal(v1.digest);
  });

  it('pulls the image back after removing it: same image id, same repo digest, same files', async () => {
    const { digest } = await registryManifest('admin/docker-hello', 'v1');
    for (const ref of [
      'appshelf-test/hello:local',
      `${repo}:v1`,
      `${repo}:v2`,
      `${srv!.host}/admin/docker-hello-copy:v1`,
    ])
      await docker(['rmi', ref]);
    const gone = await docker(['image', 'inspect', image.imageId], {
      allowFailure: true,
    });
    expect(gone.code, 'the image is gone before the pull').to.not.equal(0);

    const { stdout } = await docker(['pull', `${repo}:v1`]);
    expect(stdout).to.include(`Digest: ${digest}`);
    const pulled = await inspect(`${repo}:v1`);
    expect(pulled.Id).to.equal(image.imageId);
    expect(pulled.RepoDigests).to.deep.equal([`${repo}@${digest}`]);

    await docker(['pull', `${repo}@${digest}`]);
    expect((await inspect(`${repo}@${digest}`)).Id).to.equal(image.imageId);

    // The layer's file came through: copy it out of a created (never started) container.
    await docker(['create', '--network', 'none', '--name', 'hello-files', `${repo}:v1`]);
    const copied = await docker(['cp', 'hello-files:/hello.txt', '-']);
    expect(copied.stdout).to.include(HELLO);
    await docker(['rm', 'hello-files']);
  });

  it('logs out: the credentials are gone and pulling the unlisted app is refused', async () => {
    await docker(['logout', srv!.host]);
    const config = JSON.parse(await readFile(join(engine!.configDir, 'config.json'), 'utf8')) as {
      auths?: Record<string, unknown>;
    };
    expect(config.auths ?? {}).to.not.have.property(srv!.host);
    await docker(['rmi', `${repo}:v1`]);
    const res = await docker(['pull', `${repo}:v1`], { allowFailure: true });
    expect(res.code).to.not.equal(0);
    expect(res.stderr).to.match(/denied|unauthorized|authentication required|login/i);
  });
});
