/**
 * A whole app version pushed to a real store with the registry client, as `appshelf push` lays it
 * out: component images (a multi-arch index and a single manifest), the template artifact, the
 * bundle index under the version tag; plus what the closure must also find: a plugin image in
 * its own repository on the store, one under the app's plugin tag, an external plugin, and
 * referrers (a signature on a component, and a signature on that signature).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { digestOf, type RegistryClient } from '../../registry/client/index.js';
import { blobDescriptor, EMPTY_JSON, templateManifest } from '../../cli/bundle.js';
import {
  BundleAnnotations,
  BundleTypes,
  bundleIndexJson,
  pluginTag,
} from '../../schemas/bundle.js';
import { MediaTypes, type Descriptor } from '../../schemas/oci.js';
import {
  buildImage,
  buildIndex,
  pushBuilt,
  type BuiltManifest,
} from '../registry/client/images.js';

const WORDPRESS = fileURLToPath(
  new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url),
);
const SIGNATURE = 'application/vnd.example.signature.v1+json';

export interface PushedVersion {
  repository: string;
  version: string;
  bundle: Descriptor;
  templateBytes: Buffer;
  /** Every manifest and blob digest in the app's repository that belongs to the version. */
  digests: string[];
  plugin: { repository: string; tag: string; digests: string[] };
  carriedPlugin: { pluginKey: string; digests: string[] };
  externalPlugin: { pluginKey: string; ref: string };
  referrers: string[];
}

function digestsOf(built: BuiltManifest): string[] {
  return [
    built.desc.digest,
    ...built.blobs.map((b) => b.desc.digest),
    ...built.children.flatMap(digestsOf),
  ];
}

/** A signature-like artifact whose subject is `subject`. */
function referrer(subject: Descriptor, note: string): BuiltManifest {
  const layer = Buffer.from(`signed ${subject.digest} ${note} ${Math.random()}`);
  const layerDesc = {
    mediaType: 'application/octet-stream',
    digest: digestOf(layer),
    size: layer.length,
  };
  const config = blobDescriptor(EMPTY_JSON, MediaTypes.ociEmpty);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: SIGNATURE,
      config,
      layers: [layerDesc],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  return {
    desc: {
      mediaType: MediaTypes.ociManifest,
      digest: digestOf(bytes),
      size: bytes.length,
      artifactType: SIGNATURE,
    },
    bytes,
    blobs: [
      { desc: config, bytes: EMPTY_JSON },
      { desc: layerDesc, bytes: layer },
    ],
    children: [],
  };
}

export async function pushAppVersion(
  client: RegistryClient,
  options: { repository: string; version: string; pluginRepository: string; host: string },
): Promise<PushedVersion> {
  const { repository, version } = options;
  const template = JSON.parse(await readFile(WORDPRESS, 'utf8')) as {
    group_version: string;
    apps: { service_key: string }[];
    plugins: Record<string, unknown>[];
  };
  template.group_version = version;
  // The store keeps no source registry passwords: a template names none.
  for (const part of [...template.apps, ...template.plugins] as Record<string, unknown>[])
    for (const key of ['service_image', 'plugin_image'])
      if (part[key]) part[key] = { ...(part[key] as object), hub_user: '', hub_password: '' };
  const ownTag = `1.4.2-${version}`;
  const [onStore] = template.plugins;
  onStore!.share_image = `${options.host}/${options.pluginRepository}:${ownTag}`;
  const carriedKey = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const externalKey = 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0';
  const externalRef = 'docker.io/acme/outside-plugin:1.0';
  template.plugins.push(
    {
      ...onStore,
      plugin_id: carriedKey,
      plugin_key: carriedKey,
      share_image: 'hub.example.com/acme/carried:1',
    },
    { ...onStore, plugin_id: externalKey, plugin_key: externalKey, share_image: externalRef },
  );
  const templateBytes = Buffer.from(JSON.stringify(template, null, 2));

  const web = buildIndex([
    buildImage({ layerSizes: [20_000] }),
    buildImage({ architecture: 'arm64' }),
  ]);
  const db = buildImage({ layerSizes: [5_000, 3_000], docker: true });
  const carried = buildImage({ layerSizes: [1_500] });
  const plugin = buildIndex([buildImage({ layerSizes: [2_500] })]);
  for (const image of [web, db]) await pushBuilt(client, repository, image);
  // As push and import-rainbond keep a plugin image: in the app's repository, under its tag.
  await pushBuilt(client, repository, carried, pluginTag(version, carriedKey));
  await pushBuilt(client, options.pluginRepository, plugin, ownTag);

  const empty = blobDescriptor(EMPTY_JSON, MediaTypes.ociEmpty);
  const layer = blobDescriptor(templateBytes, BundleTypes.template, {
    [BundleAnnotations.title]: 'template.json',
  });
  await client.pushBlob(repository, empty, EMPTY_JSON);
  await client.pushBlob(repository, layer, templateBytes);
  const manifest = templateManifest(layer);
  await client.pushManifest(
    repository,
    manifest.descriptor.digest,
    manifest.bytes,
    MediaTypes.ociManifest,
  );

  const [webKey, dbKey] = template.apps.map((a) => a.service_key);
  const indexBytes = Buffer.from(
    bundleIndexJson(
      manifest.descriptor,
      [
        { serviceKey: webKey!, descriptor: web.desc, source: 'example.com/web:1' },
        { serviceKey: dbKey!, descriptor: db.desc, source: 'example.com/db:1' },
      ],
      { [BundleAnnotations.version]: version, [BundleAnnotations.title]: 'WordPress' },
    ),
  );
  const bundle = await client.pushManifest(repository, version, indexBytes, MediaTypes.ociIndex);

  // A signature on the web component, and one on that signature; one on the plugin image.
  const signature = referrer(web.desc, 'web');
  const countersign = referrer(signature.desc, 'countersign');
  const pluginSignature = referrer(plugin.desc, 'plugin');
  for (const r of [signature, countersign]) await pushBuilt(client, repository, r);
  await pushBuilt(client, options.pluginRepository, pluginSignature);

  return {
    repository,
    version,
    bundle: { mediaType: MediaTypes.ociIndex, digest: bundle.digest, size: indexBytes.length },
    templateBytes,
    digests: [
      bundle.digest,
      manifest.descriptor.digest,
      empty.digest,
      layer.digest,
      ...digestsOf(web),
      ...digestsOf(db),
      ...digestsOf(carried),
      ...digestsOf(signature),
      ...digestsOf(countersign),
    ],
    plugin: {
      repository: options.pluginRepository,
      tag: ownTag,
      digests: [...digestsOf(plugin), ...digestsOf(pluginSignature)],
    },
    carriedPlugin: { pluginKey: carriedKey, digests: digestsOf(carried) },
    externalPlugin: { pluginKey: externalKey, ref: externalRef },
    referrers: [signature.desc.digest, countersign.desc.digest, pluginSignature.desc.digest],
  };
}
