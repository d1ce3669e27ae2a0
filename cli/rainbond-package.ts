/**
 * `appshelf import-rainbond`: a Rainbond offline package (`<name>-<version>-ram.tar.gz`, as the
 * console exports an app for offline sites) into an app version of the store:
 *
 *   <name>-<version>/metadata.json          the RAM template
 *   <name>-<version>/component-images.tar   the component images, as `docker save` writes them
 *   <name>-<version>/plugin-images.tar      the plugin images (optional), the same way
 *
 * The package is read once, as a stream: the image tars inside it are read as they pass (nothing
 * is extracted twice, nothing is held in memory). Each component is bound to the image whose
 * RepoTags name its share_image (else its image); the images are pushed into the app's repository
 * and the template and images become a bundle under the version tag, ready to install (a ready
 * version, as "appshelf push" writes). Plugin images are pushed too, each under the tag
 * `<version>-plugin-<plugin_key>` so the store keeps them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import {
  copyImage,
  type CopyEvent,
  type CopyStats,
  type RegistryClient,
} from '../registry/client/index.js';
import { pluginTag } from '../schemas/bundle.js';
import { TAG_PATTERN } from '../schemas/oci.js';
import { formatRamError, validateRamTemplate } from '../schemas/ram.js';
import {
  loadDockerArchive,
  pickImage,
  type ArchiveImage,
  type LoadedArchive,
} from './docker-archive.js';
import { failure, usage } from './errors.js';
import { addStats } from './progress.js';
import { pushApp } from './push-app.js';
import { openArchive, readTar } from './tar-read.js';
import { pushableTemplate } from './template-credentials.js';

export interface ImportRainbondOptions {
  archive: string;
  store: { client: RegistryClient; host: string };
  /** `<namespace>/<app>` */
  repository: string;
  /** Default: the template's group_version. */
  version?: string | undefined;
  onProgress?: (label: string, event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
}

export interface ImportRainbondResult {
  reference: string;
  digest: string;
  templateDigest: string;
  components: { serviceKey: string; image: string; digest: string }[];
  plugins: { pluginKey: string; image: string; tag: string; digest: string }[];
  warnings: string[];
  stats: CopyStats;
}

const PACKAGE_HINT =
  'give a Rainbond offline package (<name>-<version>-ram.tar.gz: one folder with metadata.json and component-images.tar)';

/** `metadata.json` or `<top>/metadata.json` → `metadata.json`; deeper paths are not the package's. */
function packageFile(name: string): string | undefined {
  const parts = posix
    .normalize(name.replace(/^(\.\/)+/, ''))
    .split('/')
    .filter(Boolean);
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) return parts[1];
  return undefined;
}

function imageName(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export async function importRainbond(
  options: ImportRainbondOptions,
): Promise<ImportRainbondResult> {
  const { signal } = options;
  const work = await mkdtemp(join(tmpdir(), 'appshelf-rainbond-'));
  try {
    let metadata: string | undefined;
    let components: LoadedArchive | undefined;
    let plugins: LoadedArchive | undefined;
    const input = await openArchive(options.archive, signal);
    try {
      await readTar(
        input,
        (name) => {
          const file = packageFile(name);
          if (file === 'metadata.json') return (metadata = join(work, 'metadata.json'));
          if (file === 'component-images.tar')
            return async (content) =>
              void (components = await loadDockerArchive(
                content,
                join(work, 'components'),
                signal,
              ));
          if (file === 'plugin-images.tar')
            return async (content) =>
              void (plugins = await loadDockerArchive(content, join(work, 'plugins'), signal));
          return undefined;
        },
        { signal },
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || signal?.aborted) throw err;
      throw failure(
        `cannot read ${options.archive} (${(err as Error).message})`,
        PACKAGE_HINT,
        err,
      );
    } finally {
      input.destroy();
    }
    if (!metadata) throw failure(`${options.archive} holds no metadata.json`, PACKAGE_HINT);

    const metadataBytes = await readFile(metadata);
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadataBytes.toString('utf8'));
    } catch (err) {
      throw failure(
        `the metadata.json of ${options.archive} is not JSON (${(err as Error).message})`,
        PACKAGE_HINT,
        err,
      );
    }
    const checked = validateRamTemplate(parsed);
    if (!checked.ok)
      throw failure(
        `the metadata.json of ${options.archive}: ${formatRamError(checked)}`,
        'fix the template in the package (or export the app again) and import again',
      );
    const {
      bytes: templateBytes,
      template,
      warnings: leftOut,
    } = pushableTemplate(metadataBytes, checked.template);
    const version = options.version ?? template.group_version;
    if (!TAG_PATTERN.test(version))
      throw usage(
        `the version "${version}" is not a valid tag`,
        `name one: appshelf import-rainbond ${options.archive} ${options.repository}:<version>`,
      );

    const images = components?.images ?? [];
    const available = (list: ArchiveImage[]) =>
      list.flatMap((i) => i.repoTags).join(', ') || 'none';
    const bound = template.apps.map((app) => {
      const names = [imageName(app.share_image), imageName(app.image)].filter(Boolean);
      for (const name of names) {
        const image = pickImage(images, name);
        if (image) return { app, image, name };
      }
      const where = components
        ? `component-images.tar holds ${available(images)}`
        : 'the package has no component-images.tar';
      throw failure(
        `component ${app.service_key} (${names.join(' or ') || 'no image named'}) has no image in ${options.archive}: ${where}`,
        PACKAGE_HINT,
      );
    });

    const result = await pushApp({
      store: options.store,
      repository: options.repository,
      version,
      templateBytes,
      template,
      images: bound.map(({ app, image, name }) => ({
        serviceKey: app.service_key,
        source: {
          client: components!.layout,
          repository: '',
          reference: image.descriptor.digest,
          ref: name,
        },
      })),
      ...(options.onProgress
        ? { onProgress: (key: string, event: CopyEvent) => options.onProgress?.(key, event) }
        : {}),
      signal,
    });

    const warnings = [...checked.warnings, ...leftOut];
    const pluginResults: ImportRainbondResult['plugins'] = [];
    const listed = (template as { plugins?: unknown }).plugins;
    const pluginList = Array.isArray(listed) ? (listed as Record<string, unknown>[]) : [];
    for (const plugin of pluginList) {
      const key = imageName(plugin.plugin_key);
      const name = imageName(plugin.share_image);
      const image = plugins && name ? pickImage(plugins.images, name) : undefined;
      if (!image) {
        warnings.push(
          `plugin ${key || '?'} (${name || 'no image named'}) has no image in the package; it is pulled from where the template names it`,
        );
        continue;
      }
      const tag = pluginTag(version, key);
      const copied = await copyImage({
        from: { client: plugins!.layout, repository: '', reference: image.descriptor.digest },
        to: { client: options.store.client, repository: options.repository, tag },
        ...(options.onProgress
          ? { onProgress: (e: CopyEvent) => options.onProgress?.(`plugin ${key}`, e) }
          : {}),
        ...(signal ? { signal } : {}),
      });
      addStats(result.stats, copied.stats);
      pluginResults.push({ pluginKey: key, image: name, tag, digest: copied.descriptor.digest });
    }

    return {
      reference: result.reference,
      digest: result.digest,
      templateDigest: result.templateDigest,
      components: result.components.map((c) => ({
        serviceKey: c.serviceKey,
        image: c.source,
        digest: c.digest,
      })),
      plugins: pluginResults,
      warnings,
      stats: result.stats,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
