/**
 * Real clients pulling through the pull-through cache, with CNCF Distribution as the upstream on
 * loopback: skopeo by prefix (byte-exact manifest, an OCI layout copy) and the Docker engine with
 * `registry-mirrors` (it asks the mirror for `library/<name>`, which the cache serves because no
 * local repository has that name).
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { dockerArchive } from '../helpers/tar.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { dockerdUnavailable, startDockerd } from '../clients/dockerd.js';
import {
  distributionAvailable,
  DISTRIBUTION_USER,
  startDistribution,
  type DistributionServer,
} from './client/distribution.js';

describe('registry: pull-through cache with real clients', function () {
  this.timeout(120_000);
  let dist: DistributionServer;
  let srv: TestServer;
  let home: ClientHome;
  let dir: string;
  const skopeo = (args: string[]) =>
    run('skopeo', ['--policy', home.policy, ...args], { env: home.env });

  before(async function () {
    if (!distributionAvailable() || !toolAvailable('skopeo')) return this.skip();
    dist = await startDistribution();
    srv = await startTestServer({
      registry: {
        proxies: [
          {
            name: 'hub',
            upstream: dist.url,
            hosts: ['docker.io'],
            dockerMirror: true,
            username: DISTRIBUTION_USER.username,
            password: DISTRIBUTION_USER.password,
            anonymousPull: true,
          },
        ],
      },
    });
    home = await clientHome('proxy');
    dir = await mkdtemp(join(tmpdir(), 'appshelf-proxy-clients-'));
    const archive = dockerArchive('hello:1.0', { 'hello.txt': 'hello through the cache\n' });
    await writeFile(join(dir, 'hello.tar'), archive.tar);
    await skopeo([
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${DISTRIBUTION_USER.username}:${DISTRIBUTION_USER.password}`,
      `docker-archive:${join(dir, 'hello.tar')}`,
      `docker://${dist.host}/library/hello:1.0`,
    ]);
  });
  after(async () => {
    await srv?.close();
    await dist?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('skopeo by prefix: the same manifest bytes as the upstream, and a full copy', async () => {
    const creds = `${DISTRIBUTION_USER.username}:${DISTRIBUTION_USER.password}`;
    const direct = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      creds,
      `docker://${dist.host}/library/hello:1.0`,
    ]);
    const cached = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${srv.host}/hub/library/hello:1.0`,
    ]);
    expect(cached.stdout).to.equal(direct.stdout);
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${srv.host}/hub/library/hello:1.0`,
      `oci:${join(dir, 'layout')}:hello`,
    ]);
    const stored = await srv.app.registry.meta.manifestByTag('hub/library/hello', '1.0');
    expect(stored?.content.toString()).to.equal(direct.stdout);
  });

  it('the Docker engine with registry-mirrors pulls Docker Hub names through the cache', async function () {
    const reason = dockerdUnavailable();
    if (reason) {
      console.log(`    skipped: ${reason}`);
      return this.skip();
    }
    const engine = await startDockerd({
      insecureRegistries: [srv.host],
      registryMirrors: [`http://${srv.host}`],
    });
    try {
      const seen: string[] = [];
      srv.server.on('request', (req) => seen.push(`${req.method} ${req.url}`));
      const pulled = await engine.docker(['pull', 'hello:1.0']).catch((err: Error) => {
        throw new Error(`${err.message}\n--- dockerd log ---\n${engine.log().slice(-2000)}`);
      });
      expect(pulled.stdout).to.contain('hello:1.0');
      expect(seen, seen.join('\n')).to.include('HEAD /v2/library/hello/manifests/1.0');
      expect(await srv.app.registry.meta.manifestByTag('hub/library/hello', '1.0')).to.not.equal(
        undefined,
      );
      const { stdout } = await engine.docker(['image', 'inspect', 'hello:1.0']);
      expect(stdout).to.contain('sha256:');
    } finally {
      await engine.stop();
    }
  });
});
