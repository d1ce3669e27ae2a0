/**
 * skopeo (containers/image) against a real appshelf: images, multi-arch indexes, cross-repository
 * mounts, OCI artifacts and app bundles (ARCHITECTURE.md §3) copied in from an OCI layout and back
 * out to a fresh one, with every manifest and blob compared byte for byte.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import type { Digest } from '../../schemas/oci.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, recordRequests, type ClientHome, type SeenRequest } from './client-env.js';
import { LayoutBuilder, OCI, layoutBlobs, layoutRef, type Desc } from './oci-layout-builder.js';

const samples = new URL('../fixtures/ram/', import.meta.url).pathname;

describe('clients: skopeo', function () {
  this.timeout(60_000);
  let srv: TestServer | undefined;
  let home: ClientHome | undefined;
  let requests: SeenRequest[] = [];
  let src: string;
  let outputs = 0;
  const built: Record<string, Desc> = {};

  const skopeo = (args: string[]) =>
    run('skopeo', ['--policy', home!.policy, ...args], {
      env: home!.env,
      timeoutMs: 50_000,
    });
  const ref = (repository: string, tag: string) => `docker://${srv!.host}/${repository}:${tag}`;
  const copyIn = (name: string, repository: string, tag: string, flags: string[] = []) =>
    skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--authfile',
      home!.authFile,
      ...flags,
      `oci:${src}:${name}`,
      ref(repository, tag),
    ]);
  const copyOut = async (
    repository: string,
    tag: string,
    flags: string[] = [],
  ): Promise<string> => {
    const out = join(home!.dir, `out-${++outputs}`);
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--authfile',
      home!.authFile,
      ...flags,
      ref(repository, tag),
      `oci:${out}:${tag}`,
    ]);
    return out;
  };
  const rawManifest = async (repository: string, tag: string): Promise<Buffer> => {
    const { stdout } = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--authfile',
      home!.authFile,
      ref(repository, tag),
    ]);
    return Buffer.from(stdout, 'utf8');
  };

  /** The fresh layout holds `tag` → `desc`, and each of its blobs is byte-identical to the source's. */
  async function expectSameLayout(
    out: string,
    tag: string,
    desc: Desc,
    blobCount: number,
  ): Promise<void> {
    expect((await layoutRef(out, tag)).digest).to.equal(desc.digest);
    const source = await layoutBlobs(src);
    const copied = await layoutBlobs(out);
    expect(copied.size).to.equal(blobCount);
    for (const [digest, bytes] of copied) {
      expect(source.has(digest), `${digest} is not in the source layout`).to.equal(true);
      expect(bytes.equals(source.get(digest)!), `${digest} differs`).to.equal(true);
    }
  }

  async function sourceBytes(desc: Desc): Promise<Buffer> {
    return readFile(join(src, 'blobs', 'sha256', desc.digest.slice(7)));
  }

  before(async function () {
    if (!toolAvailable('skopeo')) this.skip();
    home = await clientHome('skopeo');
    src = join(home.dir, 'src');
    srv = await startTestServer();
    requests = recordRequests(srv);

    const layout = new LayoutBuilder(src);
    built.image = layout.image();
    built.mountable = layout.image();
    built.multi = layout.index(
      [
        layout.image({ platform: { architecture: 'amd64', os: 'linux' } }),
        layout.image({ platform: { architecture: 'arm64', os: 'linux' } }),
      ],
      {
        annotations: {
          'org.opencontainers.image.description': 'two platforms',
        },
      },
    );
    built.artifact = layout.artifact('application/vnd.example.appshelf.note.v1+json', [
      {
        mediaType: 'application/vnd.example.appshelf.note.layer.v1',
        bytes: Buffer.from('a note for skopeo\n'),
        title: 'note.txt',
      },
    ]);
    built.bundle = await buildBundle(layout);
    for (const [name, desc] of Object.entries(built)) layout.tag(desc, name);
    await layout.save();

    await run(
      'skopeo',
      [
        'login',
        '--tls-verify=false',
        '--authfile',
        home.authFile,
        '--username',
        'admin',
        '--password-stdin',
        srv.host,
      ],
      {
        env: home.env,
        input: ADMIN_KEY,
      },
    );
  });

  after(async () => {
    await srv?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('logs in to an isolated auth file', async () => {
    const auth = JSON.parse(await readFile(home!.authFile, 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(auth.auths[srv!.host]!.auth, 'base64').toString()).to.equal(
      `admin:${ADMIN_KEY}`,
    );
  });

  it('copies an image in and out with the same digest and bytes', async () => {
    await copyIn('image', 'clients/image', 'v1');
    expect(
      (await rawManifest('clients/image', 'v1')).equals(await sourceBytes(built.image!)),
    ).to.equal(true);
    expect((await srv!.app.registry.meta.manifestByTag('clients/image', 'v1'))?.digest).to.equal(
      built.image!.digest,
    );
    const out = await copyOut('clients/image', 'v1');
    await expectSameLayout(out, 'v1', built.image!, 3);
  });

  it('copies a multi-arch index with --all, both platforms included', async () => {
    await copyIn('multi', 'clients/multi', 'v1', ['--all']);
    const raw = await rawManifest('clients/multi', 'v1');
    expect(raw.equals(await sourceBytes(built.multi!))).to.equal(true);
    const children = (JSON.parse(raw.toString('utf8')) as { manifests: Desc[] }).manifests;
    expect(children.map((c) => c.platform?.architecture)).to.deep.equal(['amd64', 'arm64']);
    for (const child of children)
      expect(
        (await srv!.app.registry.meta.manifestByDigest('clients/multi', child.digest as Digest))
          ?.digest,
      ).to.equal(child.digest);
    const out = await copyOut('clients/multi', 'v1', ['--all']);
    await expectSameLayout(out, 'v1', built.multi!, 7);
  });

  it('mounts existing blobs on a cross-repository copy instead of uploading them again', async () => {
    await copyIn('mountable', 'clients/mount-a', 'v1');
    const manifest = JSON.parse((await sourceBytes(built.mountable!)).toString('utf8')) as {
      layers: Desc[];
    };
    const layer = manifest.layers[0]!.digest;
    const from = requests.length;
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--authfile',
      home!.authFile,
      ref('clients/mount-a', 'v1'),
      ref('clients/mount-b', 'v1'),
    ]);
    const seen = requests.slice(from).map((r) => ({ ...r, url: decodeURIComponent(r.url) }));
    const mounts = seen.filter(
      (r) =>
        r.method === 'POST' &&
        r.url.startsWith('/v2/clients/mount-b/blobs/uploads/') &&
        r.url.includes(`mount=${layer}`),
    );
    expect(mounts.map((r) => [r.status, r.url.includes('from=clients/mount-a')])).to.deep.equal([
      [201, true],
    ]);
    const uploads = seen.filter(
      (r) =>
        (r.method === 'PATCH' || r.method === 'PUT') &&
        r.url.includes('/blobs/uploads/') &&
        r.url.includes(layer),
    );
    expect(uploads).to.deep.equal([]);
    expect(await srv!.app.registry.blobs.sizeIn('clients/mount-b', layer as Digest)).to.equal(
      manifest.layers[0]!.size,
    );
    expect(
      (await rawManifest('clients/mount-b', 'v1')).equals(await sourceBytes(built.mountable!)),
    ).to.equal(true);
  });

  it('copies an OCI artifact, keeping its artifactType and empty config', async () => {
    await copyIn('artifact', 'clients/artifact', 'v1', ['--preserve-digests']);
    const raw = await rawManifest('clients/artifact', 'v1');
    expect(raw.equals(await sourceBytes(built.artifact!))).to.equal(true);
    const manifest = JSON.parse(raw.toString('utf8')) as {
      artifactType: string;
      config: Desc;
    };
    expect(manifest.artifactType).to.equal('application/vnd.example.appshelf.note.v1+json');
    expect(manifest.config.mediaType).to.equal(OCI.empty);
    expect((await srv!.app.registry.meta.manifestByTag('clients/artifact', 'v1'))?.digest).to.equal(
      built.artifact!.digest,
    );
    const out = await copyOut('clients/artifact', 'v1', ['--preserve-digests']);
    await expectSameLayout(out, 'v1', built.artifact!, 3);
  });

  it('pushes an app bundle with copy --all, indexes it, and pulls it back byte-exact', async () => {
    await copyIn('bundle', 'ns/app', '1.0', ['--all', '--preserve-digests']);
    const raw = await rawManifest('ns/app', '1.0');
    expect(raw.equals(await sourceBytes(built.bundle!))).to.equal(true);
    expect((JSON.parse(raw.toString('utf8')) as { artifactType?: string }).artifactType).to.equal(
      BundleTypes.bundle,
    );
    // Indexed: the store's API has the version, ready, on the bundle's manifest.
    const res = await fetch(`${srv!.url}/api/v1/apps/ns/app/versions/1.0`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    const { state, manifestDigest } = (await res.json()) as {
      state: string;
      manifestDigest: string;
    };
    expect({ state, manifestDigest }).to.deep.equal({
      state: 'ready',
      manifestDigest: built.bundle!.digest,
    });
    const out = await copyOut('ns/app', '1.0', ['--all', '--preserve-digests']);
    await expectSameLayout(out, '1.0', built.bundle!, 7);
  });
});

/** ARCHITECTURE.md §3: an index of the template artifact and one component image, in one layout. */
async function buildBundle(layout: LayoutBuilder): Promise<Desc> {
  const template = JSON.parse(await readFile(join(samples, 'valid', 'minimal.json'), 'utf8')) as {
    group_name: string;
    group_version: string;
    apps: { service_key: string; share_image: string }[];
  };
  template.group_name = 'skopeo bundle';
  template.group_version = '1.0';
  const component = template.apps[0]!;
  const templateDesc = layout.artifact(BundleTypes.template, [
    {
      mediaType: BundleTypes.template,
      bytes: Buffer.from(JSON.stringify(template, null, 2)),
      title: 'template.json',
    },
  ]);
  const image = layout.image();
  // The template manifest carries its artifactType itself; its descriptor in the index does not:
  // skopeo 1.9 cannot keep an OCI 1.1 descriptor field on copy --all (it rewrites the index and
  // drops it, and refuses to under --preserve-digests), and the bundle must survive byte-exact.
  const { artifactType: _descriptorArtifactType, ...templateChild } = templateDesc;
  return layout.index(
    [
      templateChild,
      {
        ...image,
        annotations: {
          [BundleAnnotations.component]: component.service_key,
          [BundleAnnotations.source]: component.share_image,
        },
      },
    ],
    {
      artifactType: BundleTypes.bundle,
      annotations: {
        [BundleAnnotations.version]: '1.0',
        [BundleAnnotations.title]: 'skopeo bundle',
        [BundleAnnotations.description]: 'a template and one component image',
        [BundleAnnotations.created]: '2024-01-01T00:00:00Z',
      },
    },
  );
}
