/**
 * `appshelf import-rainbond` with a Rainbond offline package whose component-images.tar is what
 * a real Docker engine's `docker save` wrote (a private dockerd, test/clients/dockerd.ts): the
 * image is built in-process, `docker load`ed, saved under the name the template's share_image
 * gives it, packed with metadata.json into `<name>-<version>-ram.tar.gz`, and imported by the real
 * binary. The version is ready and installs with the store's copy of the image Docker saved.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../registry/client/index.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from '../clients/dockerd.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { dockerArchive, tarArchive } from '../helpers/tar.js';
import { cliIn } from './run-cli.js';

const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

interface Template {
  group_name: string;
  group_version: string;
  apps: { service_key: string; share_image: string }[];
}

describe('cli: import-rainbond of a package holding real `docker save` output', function () {
  this.timeout(120_000);
  let srv: TestServer | undefined;
  let engine: Dockerd | undefined;
  let dir = '';
  const cli = cliIn(() => dir);

  before(async function () {
    const reason = dockerdUnavailable();
    if (reason) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-rainbond-docker-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        defaultStore: srv.host,
        stores: { [srv.host]: { url: srv.url, username: 'admin', key: ADMIN_KEY } },
      }),
      { mode: 0o600 },
    );
    engine = await startDockerd({ insecureRegistries: [srv.host] });
  });

  after(async () => {
    try {
      await engine?.stop();
    } finally {
      await srv?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  /** The docker CLI against the private engine; a failure carries the engine's log tail. */
  async function docker(args: string[]): Promise<string> {
    try {
      return (await engine!.docker(args)).stdout;
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n--- dockerd log (tail) ---\n${engine!.log().slice(-2000)}`,
      );
    }
  }

  it('imports the saved image and the template as a version ready to install', async () => {
    const templateText = await readFile(TEMPLATE, 'utf8');
    const template = JSON.parse(templateText) as Template;
    const component = template.apps[0]!;
    // Built here, loaded into the engine under the name the template shares it as.
    const image = dockerArchive(component.share_image, {
      'hello.txt': 'hello from a Rainbond offline package\n',
    });
    const loadFile = join(dir, 'load.tar');
    await writeFile(loadFile, image.tar);
    await docker(['load', '-i', loadFile]);
    await rm(loadFile);
    const saved = join(dir, 'component-images.tar');
    await docker(['save', '-o', saved, component.share_image]);

    // The offline package: one top folder holding metadata.json and component-images.tar.
    const folder = `${template.group_name}-${template.group_version}`;
    const pkg = join(dir, `${folder}-ram.tar.gz`);
    await writeFile(
      pkg,
      gzipSync(
        tarArchive([
          { name: `${folder}/`, type: '5' },
          { name: `${folder}/metadata.json`, data: templateText },
          { name: `${folder}/component-images.tar`, data: await readFile(saved) },
        ]),
      ),
    );

    const imported = await cli.okJson<{
      reference: string;
      digest: string;
      components: { serviceKey: string; image: string; digest: string }[];
    }>(['import-rainbond', pkg, 'admin/rainbond-hello']);
    const host = srv!.host;
    expect(imported.reference).to.equal(`${host}/admin/rainbond-hello:${template.group_version}`);
    expect(imported.components.map((c) => [c.serviceKey, c.image])).to.deep.equal([
      [component.service_key, component.share_image],
    ]);
    const componentDigest = imported.components[0]!.digest;

    // Imported as ready: no draft left to publish.
    const version = (await (
      await fetch(
        `${srv!.url}/api/v1/apps/admin/rainbond-hello/versions/${template.group_version}`,
        { headers: { authorization: `Bearer ${ADMIN_KEY}` } },
      )
    ).json()) as { state: string; manifestDigest: string };
    expect(version).to.deep.include({ state: 'ready', manifestDigest: imported.digest });

    const res = await fetch(
      `${srv!.url}/api/v1/apps/admin/rainbond-hello/versions/${template.group_version}/install`,
      { headers: { authorization: `Bearer ${ADMIN_KEY}` } },
    );
    expect(res.status).to.equal(200);
    const install = (await res.json()) as Template;
    expect(install.apps.map((a) => [a.service_key, a.share_image])).to.deep.equal([
      [component.service_key, `${host}/admin/rainbond-hello@${componentDigest}`],
    ]);

    // The store's image is the one Docker saved: the same image id (config) and layer.
    const client = new RegistryClient({
      host: srv!.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const manifest = JSON.parse(
      (await client.fetchManifest('admin/rainbond-hello', componentDigest)).bytes.toString(),
    ) as { config: { digest: string }; layers: { digest: string }[] };
    expect(manifest.config.digest).to.equal(image.imageId);
    expect(manifest.layers.map((l) => l.digest)).to.deep.equal([image.diffId]);
  });
});
