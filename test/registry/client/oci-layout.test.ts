import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientError,
  copyImage,
  OciLayout,
  RegistryClient,
  REF_NAME,
} from '../../../registry/client/index.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';
import { allBlobs, buildImage, buildIndex, pushBuilt } from './images.js';

describe('registry client: OCI image layout', () => {
  let first: TestServer;
  let second: TestServer;
  let a: RegistryClient;
  let b: RegistryClient;
  let dir: string;
  before(async () => {
    [first, second] = await Promise.all([startTestServer(), startTestServer()]);
    a = new RegistryClient({
      host: first.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    b = new RegistryClient({
      host: second.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    dir = await mkdtemp(join(tmpdir(), 'appshelf-layout-'));
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies appshelf → layout → a second appshelf, digests unchanged', async () => {
    const index = buildIndex([
      buildImage({ architecture: 'amd64', layerSizes: [3000, 90_000] }),
      buildImage({ architecture: 'arm64' }),
    ]);
    await pushBuilt(a, 'acme/export', index, '1.0.0');

    const layout = await OciLayout.open(join(dir, 'export'), { create: true });
    const out = await copyImage({
      from: { client: a, repository: 'acme/export', reference: '1.0.0' },
      to: { client: layout, repository: 'ignored' },
    });
    expect(out.descriptor.digest).to.equal(index.desc.digest);

    // On disk as the image-spec lays it out.
    expect(JSON.parse(await readFile(join(dir, 'export', 'oci-layout'), 'utf8'))).to.deep.equal({
      imageLayoutVersion: '1.0.0',
    });
    const indexJson = (await layout.readIndex()).manifests;
    expect(indexJson.map((m) => [m.digest, m.annotations?.[REF_NAME]])).to.deep.equal([
      [index.desc.digest, '1.0.0'],
    ]);
    const stored = await readdir(join(dir, 'export', 'blobs', 'sha256'));
    const expected = [index, ...index.children]
      .map((m) => m.desc.digest)
      .concat(allBlobs(index).map((blob) => blob.desc.digest));
    expect(stored.sort()).to.deep.equal([...new Set(expected)].map((d) => d.slice(7)).sort());
    expect((await readdir(join(dir, 'export'))).sort()).to.deep.equal([
      'blobs',
      'index.json',
      'oci-layout',
    ]);

    // A fresh open (as an import would) copies it on.
    const reopened = await OciLayout.open(join(dir, 'export'));
    expect(await collect(reopened.tags())).to.deep.equal(['1.0.0']);
    const back = await copyImage({
      from: { client: reopened, repository: 'any', reference: '1.0.0' },
      to: { client: b, repository: 'acme/imported' },
    });
    expect(back.descriptor.digest).to.equal(index.desc.digest);
    expect((await b.fetchManifest('acme/imported', '1.0.0')).bytes.equals(index.bytes)).to.equal(
      true,
    );
    for (const blob of allBlobs(index))
      expect(await b.blobExists('acme/imported', blob.desc.digest)).to.equal(true);
  });

  it('writes an untagged copy by digest into index.json and resolves it by digest', async () => {
    const image = buildImage();
    await pushBuilt(a, 'acme/bydigest', image);
    const layout = await OciLayout.open(join(dir, 'bydigest'), { create: true });
    await copyImage({
      from: { client: a, repository: 'acme/bydigest', reference: image.desc.digest },
      to: { client: layout, repository: 'x' },
    });
    expect((await layout.readIndex()).manifests.map((m) => m.digest)).to.deep.equal([
      image.desc.digest,
    ]);
    expect((await layout.resolve(image.desc.digest)).mediaType).to.equal(image.desc.mediaType);
  });

  it('detects a corrupted blob in a layout', async () => {
    const image = buildImage({ layerSizes: [500] });
    await pushBuilt(a, 'acme/corrupt', image, 'c');
    const layout = await OciLayout.open(join(dir, 'corrupt'), { create: true });
    await copyImage({
      from: { client: a, repository: 'acme/corrupt', reference: 'c' },
      to: { client: layout, repository: 'x' },
    });
    const layer = image.blobs[1]!;
    await writeFile(layout.blobPath(layer.desc.digest), Buffer.alloc(layer.desc.size, 1));
    const err = await copyImage({
      from: { client: layout, repository: 'x', reference: 'c' },
      to: { client: b, repository: 'acme/corrupt' },
    }).catch((e: unknown) => e);
    expect((err as ClientError).code).to.equal('digest_mismatch');
    expect(await b.blobExists('acme/corrupt', layer.desc.digest)).to.equal(false);
  });

  it('refuses a folder that is not a layout', async () => {
    const err = await OciLayout.open(join(dir, 'missing')).catch((e: unknown) => e);
    expect((err as ClientError).code).to.equal('not_found');
  });
});

async function collect(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}
