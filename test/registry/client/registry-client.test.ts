import { expect } from 'chai';
import { Readable } from 'node:stream';
import {
  baseUrlOf,
  ClientError,
  parseChallenges,
  RegistryClient,
  type ClientErrorCode,
} from '../../../registry/client/index.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildImage, pushBuilt } from './images.js';

async function codeOf(work: Promise<unknown>): Promise<ClientErrorCode | 'resolved'> {
  try {
    await work;
    return 'resolved';
  } catch (err) {
    if (err instanceof ClientError) return err.code;
    throw err;
  }
}

describe('registry client: challenges and addresses', () => {
  const cases: [string, ReturnType<typeof parseChallenges>][] = [
    ['Basic realm="basic-realm"', [{ scheme: 'basic', realm: 'basic-realm' }]],
    [
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
      [
        {
          scheme: 'bearer',
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scopes: ['repository:a/b:pull,push'],
        },
      ],
    ],
    [
      'Bearer realm="http://x/t", scope="repository:a:pull repository:b:pull", error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          realm: 'http://x/t',
          scopes: ['repository:a:pull', 'repository:b:pull'],
          error: 'insufficient_scope',
        },
      ],
    ],
    ['Negotiate abc', []],
    [
      'Basic realm="a", Bearer realm="http://t/",service=s',
      [
        { scheme: 'basic', realm: 'a' },
        { scheme: 'bearer', realm: 'http://t/', service: 's', scopes: [] },
      ],
    ],
  ];
  for (const [header, expected] of cases) {
    it(`parses ${header.slice(0, 40)}`, () =>
      expect(parseChallenges(header)).to.deep.equal(expected));
  }

  const hosts: [string, boolean | undefined, string][] = [
    ['registry.example.com', undefined, 'https://registry.example.com'],
    ['localhost:5000', undefined, 'http://localhost:5000'],
    ['127.0.0.1:5000', undefined, 'http://127.0.0.1:5000'],
    ['registry.lan:5000', true, 'http://registry.lan:5000'],
    ['localhost:5000', false, 'https://localhost:5000'],
    ['http://store.example.com', undefined, 'http://store.example.com'],
  ];
  for (const [host, insecure, base] of hosts) {
    it(`talks to ${host}${insecure === undefined ? '' : ` (insecure: ${insecure})`} at ${base}`, () =>
      expect(baseUrlOf(host, insecure).origin).to.equal(base));
  }
});

describe('registry client: against appshelf (token flow)', () => {
  let srv: TestServer;
  let client: RegistryClient;
  before(async () => {
    srv = await startTestServer();
    client = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
  });
  after(() => srv.close());

  it('pings, pushes an image and reads it back byte-exact', async () => {
    await client.ping();
    const image = buildImage({ layerSizes: [10, 70_000] });
    await pushBuilt(client, 'acme/basics', image, 'v1');
    const resolved = await client.resolve('acme/basics', 'v1');
    expect(resolved).to.deep.equal({
      mediaType: image.desc.mediaType,
      digest: image.desc.digest,
      size: image.desc.size,
    });
    const fetched = await client.fetchManifest('acme/basics', 'v1');
    expect(fetched.bytes.equals(image.bytes)).to.equal(true);
    const layer = image.blobs[2]!;
    const chunks: Buffer[] = [];
    for await (const chunk of await client.fetchBlob('acme/basics', layer.desc))
      chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(layer.bytes)).to.equal(true);
    expect(await client.blobExists('acme/basics', layer.desc.digest)).to.equal(true);
  });

  it('pushes a stream in chunks', async () => {
    const small = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
      chunkSize: 1000,
    });
    const image = buildImage({ layerSizes: [4500] });
    const layer = image.blobs[1]!;
    await small.pushBlob(
      'acme/chunks',
      layer.desc,
      Readable.from([layer.bytes.subarray(0, 3000), layer.bytes.subarray(3000)]),
    );
    expect(await small.blobExists('acme/chunks', layer.desc.digest)).to.equal(true);
  });

  it('lists tags across Link pages and deletes', async () => {
    const image = buildImage();
    for (const tag of ['a', 'b', 'c', 'd', 'e']) await pushBuilt(client, 'acme/tags', image, tag);
    expect(await client.listTags('acme/tags', { pageSize: 2 })).to.deep.equal([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    await client.deleteManifest('acme/tags', 'c');
    expect(await client.listTags('acme/tags')).to.deep.equal(['a', 'b', 'd', 'e']);
    await client.deleteManifest('acme/tags', image.desc.digest);
    expect(await codeOf(client.resolve('acme/tags', 'a'))).to.equal('not_found');
  });

  it('refuses wrong credentials and anonymous access with unauthorized', async () => {
    const wrong = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: 'ask_wrong-key-0000000000000000' },
    });
    expect(await codeOf(wrong.resolve('acme/basics', 'v1'))).to.equal('unauthorized');
    expect(
      await codeOf(new RegistryClient({ host: srv.host }).resolve('acme/basics', 'v1')),
    ).to.equal('unauthorized');
  });

  it('reports a missing manifest as not_found with the registry code', async () => {
    const err = await client.fetchManifest('acme/basics', 'nope').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ClientError);
    expect([
      (err as ClientError).code,
      (err as ClientError).status,
      (err as ClientError).registryCodes,
    ]).to.deep.equal(['not_found', 404, ['MANIFEST_UNKNOWN']]);
  });

  it('refuses a manifest past the size cap with too_large', async () => {
    const capped = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
      maxManifestBytes: 100,
    });
    expect(await codeOf(capped.fetchManifest('acme/basics', 'v1'))).to.equal('too_large');
  });
});
