/**
 * Data migration: templates stored before the store refused registry credentials
 * (schemas/source-credentials.ts) still name a publisher's `hub_user`/`hub_password`. Each such
 * version gets a new template.json and template manifest without them, and — for a ready version
 * — a new bundle index pointing at it, written under the same tag through the registry's own
 * manifest path, so the indexer updates the version row it already has. The row's state, update
 * time and update count are put back (nothing was published: Rainbond must not see an upgrade).
 * A draft's credentials are kept for its image sync (source-credential-repository.ts). The old manifests and
 * the old template blob leave the repository (GC removes the bytes).
 *
 * Idempotent: a version whose stored template names no credentials is left alone.
 */
import type { Logger } from 'pino';
import { MAX_TEMPLATE_BYTES } from '../../../schemas/bundle.js';
import { ImageManifest, type Digest } from '../../../schemas/oci.js';
import {
  sourceCredentials,
  withoutSourceCredentials,
  type SourceCredential,
} from '../../../schemas/source-credentials.js';
import type { Registry } from '../../../registry/index.js';
import { readLimited } from '../../../registry/read-limited.js';
import type { DataMigration } from '../../db/data-migrations.js';
import type { StoreDatabase } from '../../db/store-database.js';
import {
  appRepositories,
  type AppRepositories,
  type VersionAppRef,
  type VersionRow,
} from '../app-repository.js';
import { templateLayer } from '../bundle-reader.js';
import {
  sourceCredentialRepository,
  type SourceCredentialRepository,
} from '../source-credential-repository.js';
import { digestOf, putBlob } from '../put-blob.js';
import { repositoryOf } from '../version-index.js';

const ACTOR = 'appshelf-migration';

interface Deps {
  store: StoreDatabase;
  registry: Registry;
  log: Logger;
  clock: () => number;
}

interface Rows {
  repos: AppRepositories;
  credentials: SourceCredentialRepository;
}

export function cleanSourceCredentials(deps: Deps): DataMigration {
  return {
    name: '0001-clean-source-credentials',
    async run() {
      const rows: Rows = {
        repos: appRepositories(deps.store),
        credentials: sourceCredentialRepository(deps.store),
      };
      // What a rewrite needs of the app, not its texts: at 100,000 apps, gigabytes read for nothing.
      const found = await rows.repos.versions.allWithApp();
      let rewritten = 0;
      let failed = 0;
      for (const { version, app } of found) {
        const named = sourceCredentials(parsed(version.template));
        if (named.length === 0) continue;
        try {
          await rewrite(deps, rows, app, version, named);
          rewritten++;
        } catch (err) {
          failed++;
          deps.log.error(
            { err, repo: repositoryOf(app), version: version.version },
            'template credentials not removed',
          );
        }
      }
      if (failed > 0) throw new Error(`${failed} versions still name registry credentials`);
      return { versions: rewritten };
    },
  };
}

async function rewrite(
  deps: Deps,
  { repos, credentials }: Rows,
  app: VersionAppRef,
  row: VersionRow,
  named: SourceCredential[],
): Promise<void> {
  const { registry } = deps;
  const meta = registry.meta;
  const repository = repositoryOf(app);
  if ((await meta.tagDigest(repository, row.version)) !== row.manifestDigest)
    throw new Error(`the tag ${row.version} no longer names the indexed manifest`);
  const oldTemplate = row.templateDigest as Digest;
  const stored = await meta.manifestByDigest(repository, oldTemplate);
  if (!stored) throw new Error(`template manifest ${oldTemplate} is gone`);
  const manifest = ImageManifest.parse(JSON.parse(stored.content.toString('utf8')));
  const layer = templateLayer(manifest);
  if (!layer) throw new Error(`${oldTemplate} has no template.json layer`);
  const bytes = await readLimited(
    await registry.blobs.open(layer.digest),
    MAX_TEMPLATE_BYTES,
    () => new Error('template.json is too large'),
  );
  const cleaned = withoutSourceCredentials(JSON.parse(bytes.toString('utf8')) as unknown);
  const blob = await putBlob(registry, repository, Buffer.from(JSON.stringify(cleaned)));
  const content = Buffer.from(
    JSON.stringify({
      ...manifest,
      layers: manifest.layers.map((l) => (l === layer ? { ...l, ...blob } : l)),
    }),
  );
  const isDraft = row.manifestDigest === row.templateDigest;
  const put = async (reference: string, mediaType: string, body: Buffer): Promise<Digest> =>
    (
      await registry.putManifest({
        repository,
        reference,
        contentType: mediaType,
        content: body,
        actor: ACTOR,
      })
    ).digest;
  // A draft is its template manifest, tagged; a bundle names it by digest and is tagged itself.
  const newTemplate = await put(
    isDraft ? row.version : digestOf(content),
    stored.mediaType,
    content,
  );
  let tagged = newTemplate;
  if (!isDraft) {
    const index = await meta.manifestByDigest(repository, row.manifestDigest as Digest);
    if (!index) throw new Error(`bundle ${row.manifestDigest} is gone`);
    const json = JSON.parse(index.content.toString('utf8')) as {
      manifests: { digest: string; size: number }[];
    };
    json.manifests = json.manifests.map((d) =>
      d.digest === oldTemplate ? { ...d, digest: newTemplate, size: content.length } : d,
    );
    tagged = await put(row.version, index.mediaType, Buffer.from(JSON.stringify(json)));
  }

  // The version row is kept; the push moved its update time and count on: put them back.
  await repos.versions.update(row.id, {
    state: row.state,
    updatedAt: row.updatedAt,
    updateVersion: row.updateVersion,
  });
  await repos.apps.update(app.id, { updatedAt: app.updatedAt });
  if (isDraft) await credentials.keep(row.id, named, deps.clock());

  for (const digest of isDraft ? [oldTemplate] : [row.manifestDigest as Digest, oldTemplate]) {
    const tags = await meta.tagsOf(repository, digest);
    if (tags.length === 0 && !(await meta.isReferenced(repository, digest)))
      await meta.deleteManifest(repository, digest);
  }
  if (!(await meta.isReferenced(repository, layer.digest)))
    await meta.unlinkBlob(repository, layer.digest);
  deps.log.info(
    { repo: repository, version: row.version, from: row.manifestDigest, to: tagged },
    'template credentials removed',
  );
}

function parsed(template: string): unknown {
  try {
    return JSON.parse(template) as unknown;
  } catch {
    return undefined;
  }
}
