/**
 * `appshelf import-rainbond` with Rainbond offline packages built in-process: a
 * `<name>-<version>-ram.tar.gz` whose folder holds metadata.json (the RAM template) and
 * component-images.tar / plugin-images.tar in `docker save` format. The real binary imports it;
 * the version is ready, installs with the store's copies, and each image is the one saved.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { RegistryClient } from '../../registry/client/index.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { tarArchive, type TarEntry } from '../helpers/tar.js';
import { cliIn } from './run-cli.js';

const SAMPLE = fileURLToPath(
  new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url),
);
const MYSQL = '97a918fd12b91da4376f258e5307b47f';
const WORDPRESS = '8ed04b7ea2e894420c02fdd788765cc7';
const PLUGIN = '8bad419b345ff105069990306d3caf83';

const hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A `docker save` tar (classic layout: <id>/layer.tar, <config>.json, manifest.json last) of one-layer images. */
function dockerSave(images: { tag: string; text: string }[]): {
  tar: Buffer;
  ids: Record<string, string>;
} {
  const entries: TarEntry[] = [];
  const manifest: object[] = [];
  const ids: Record<string, string> = {};
  for (const image of images) {
    const layer = tarArchive([{ name: 'content.txt', data: image.text }]);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [`sha256:${hex(layer)}`] },
      }),
    );
    entries.push(
      { name: `${hex(layer)}/`, type: '5' },
      { name: `${hex(layer)}/layer.tar`, data: layer },
      { name: `${hex(config)}.json`, data: config },
    );
    manifest.push({
      Config: `${hex(config)}.json`,
      RepoTags: [image.tag],
      Layers: [`${hex(layer)}/layer.tar`],
    });
    ids[image.tag] = `sha256:${hex(config)}`;
  }
  return {
    tar: tarArchive([...entries, { name: 'manifest.json', data: JSON.stringify(manifest) }]),
    ids,
  };
}

interface Template {
  group_version: string;
  apps: {
    service_key: string;
    share_image: string;
    image?: string;
    service_image: Record<string, unknown>;
  }[];
  plugins: { plugin_key: string; share_image: string }[];
}

describe('cli: import-rainbond (Rainbond offline packages)', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let dir = '';
  let template: Template;
  let components: ReturnType<typeof dockerSave>;
  const cli = cliIn(() => dir);

  /** Writes `<folder>-ram.tar.gz` holding `files` in one top folder. */
  async function writePackage(
    folder: string,
    files: Record<string, Buffer | string>,
  ): Promise<string> {
    const file = join(dir, `${folder}-ram.tar.gz`);
    const entries: TarEntry[] = [
      { name: `${folder}/`, type: '5' },
      ...Object.entries(files).map(([name, data]) => ({ name: `${folder}/${name}`, data })),
    ];
    await writeFile(file, gzipSync(tarArchive(entries)));
    return file;
  }

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-rainbond-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        defaultStore: srv.host,
        stores: { [srv.host]: { url: srv.url, username: 'admin', key: ADMIN_KEY } },
      }),
      { mode: 0o600 },
    );
    template = JSON.parse(await readFile(SAMPLE, 'utf8')) as Template;
    // MySQL is saved under its share_image, WordPress under its image (Docker Hub spelling): both bind.
    const mysqlImage = template.apps.find((a) => a.service_key === MYSQL)!.share_image;
    components = dockerSave([
      { tag: mysqlImage, text: 'mysql\n' },
      { tag: 'wordpress:6.5.5-apache', text: 'wordpress\n' },
    ]);
  });

  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports the images and the template as a version ready to install', async () => {
    const plugin = dockerSave([{ tag: template.plugins[0]!.share_image, text: 'plugin\n' }]);
    const pkg = await writePackage('WordPress-6.5.5', {
      'metadata.json': JSON.stringify(template),
      'component-images.tar': components.tar,
      'plugin-images.tar': plugin.tar,
    });
    type Result = {
      reference: string;
      digest: string;
      components: { serviceKey: string; image: string; digest: string }[];
      plugins: { tag: string; digest: string }[];
      stats: { blobsCopied: number };
    };
    const imported = await cli.okJson<Result>(['import-rainbond', pkg, 'admin/wordpress']);
    expect(imported.reference).to.equal(`${srv.host}/admin/wordpress:6.5.5`);
    expect(imported.components.map((c) => [c.serviceKey, c.image])).to.deep.equal([
      [MYSQL, template.apps.find((a) => a.service_key === MYSQL)!.share_image],
      [WORDPRESS, 'wordpress:6.5.5-apache'],
    ]);
    expect(imported.plugins.map((p) => p.tag)).to.deep.equal([`6.5.5-plugin-${PLUGIN}`]);
    expect(imported.stats.blobsCopied).to.equal(6); // three images: a config and a layer each

    const [version, installed, again] = await Promise.all([
      cli.okJson<{
        state: string;
        manifestDigest: string;
        components: { serviceKey: string; imageDigest: string }[];
      }>(['info', 'admin/wordpress:6.5.5']),
      cli.ok(['install', 'admin/wordpress:6.5.5']),
      // The same package into another app, under a version named here.
      cli.run(['import-rainbond', pkg, 'admin/copy:7.0']),
    ]);
    expect(version).to.deep.include({ state: 'ready', manifestDigest: imported.digest });
    expect(version.components.map((c) => c.imageDigest).sort()).to.deep.equal(
      imported.components.map((c) => c.digest).sort(),
    );
    const apps = (JSON.parse(installed) as Template).apps;
    // The package's registry credentials were left out of the template the store keeps.
    expect(template.apps[0]!.service_image.hub_password).to.not.equal('');
    for (const a of apps) expect(a.service_image).to.include({ hub_user: '', hub_password: '' });
    expect(apps.map((a) => a.share_image)).to.deep.equal(
      template.apps.map(
        (a) =>
          `${srv.host}/admin/wordpress@${imported.components.find((c) => c.serviceKey === a.service_key)!.digest}`,
      ),
    );
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(
      new RegExp(`^imported ${srv.host}/admin/copy:7\\.0@sha256:[a-f0-9]{64}\n$`),
    );
    expect(again.stderr).to.match(
      /^2 component images, 1 plugin image: 6 blobs copied \(.+\), 0 mounted, 0 already there$/m,
    );

    // Each image is the one saved: its config is the image id Docker gave it.
    const client = new RegistryClient({
      host: srv.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const configOf = async (reference: string) =>
      (
        JSON.parse((await client.fetchManifest('admin/wordpress', reference)).bytes.toString()) as {
          config: { digest: string };
        }
      ).config.digest;
    const wordpress = imported.components.find((c) => c.serviceKey === WORDPRESS)!;
    expect(await configOf(wordpress.digest)).to.equal(components.ids['wordpress:6.5.5-apache']);
    expect(await configOf(`6.5.5-plugin-${PLUGIN}`)).to.equal(
      plugin.ids[template.plugins[0]!.share_image],
    );
  });

  it('says what is missing from a broken package, and what to give instead', async () => {
    const oneImage = dockerSave([{ tag: 'mysql:8.0.36', text: 'mysql only\n' }]);
    const [noImage, noMetadata, notTar] = await Promise.all([
      writePackage('partial-1.0', {
        'metadata.json': JSON.stringify(template),
        'component-images.tar': oneImage.tar,
      }),
      writePackage('empty-1.0', { 'component-images.tar': components.tar }),
      Promise.resolve(SAMPLE),
    ]);
    const [missing, bare, broken, badRef] = await Promise.all([
      cli.run(['import-rainbond', noImage, 'admin/partial']),
      cli.run(['import-rainbond', noMetadata, 'admin/empty']),
      cli.run(['import-rainbond', notTar, 'admin/broken']),
      cli.run(['import-rainbond', noImage, 'no-namespace']),
    ]);
    expect([missing.code, bare.code, broken.code, badRef.code]).to.deep.equal([1, 1, 1, 2]);
    // MySQL's image field names mysql:8.0.36, so only WordPress is unbound.
    expect(missing.stderr).to.match(
      new RegExp(
        `^appshelf: component ${WORDPRESS} \\(.+ or wordpress:6\\.5\\.5-apache\\) has no image in .*partial-1\\.0-ram\\.tar\\.gz: component-images\\.tar holds mysql:8\\.0\\.36; give a Rainbond offline package`,
        'm',
      ),
    );
    expect(bare.stderr).to.match(
      /^appshelf: .*empty-1\.0-ram\.tar\.gz holds no metadata\.json; give a Rainbond offline package/,
    );
    expect(broken.stderr).to.match(
      /^appshelf: cannot read .*wordpress-mysql\.json \(.*\); give a Rainbond offline package/,
    );
    // Nothing was written for the broken packages.
    const versions = await cli.run(['versions', 'admin/partial']);
    expect(versions.code).to.equal(1);
  });
});
