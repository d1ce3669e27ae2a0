/** Manifest and listing figures, all measured with wrk: PUT, GET and HEAD by tag, tags list, catalog. */
import { smallBlob } from './blob-data.js';
import { put, url, type ScenarioContext } from './context.js';
import { expect, runPool } from './http-client.js';
import { runHeadLoad } from './head-load.js';
import { REPOS } from './targets.js';
import { cyclePathsScript, putManifestsScript, runWrk, type WrkResult } from './wrk.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = {
  accept: `${OCI_MANIFEST}, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json`,
};

/** A manifest whose annotation is `%s` (the per-request tag in wrk's Lua `string.format`). */
function manifestTemplate(
  config: { digest: string; size: number },
  layer: { digest: string; size: number },
): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: config.digest,
      size: config.size,
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: layer.digest,
        size: layer.size,
      },
    ],
    annotations: { 'org.example.bench': '%s' },
  });
}

async function pushSmall(
  ctx: ScenarioContext,
  repo: string,
  data: Buffer,
  digest: string,
): Promise<void> {
  const start = await expect(202, url(ctx, `/v2/${repo}/blobs/uploads/`), {
    method: 'POST',
    headers: ctx.target.headers,
    agent: ctx.agent,
  });
  const location = new URL(start.headers.location!, ctx.target.base);
  location.searchParams.set('digest', digest);
  await expect(201, location, {
    method: 'PUT',
    headers: { ...ctx.target.headers, 'content-type': 'application/octet-stream' },
    body: data,
    agent: ctx.agent,
  });
}

/** Config and layer blobs in both manifest repositories, and `tagCount` tagged manifests to read. */
async function prepare(ctx: ScenarioContext): Promise<string> {
  const config = smallBlob(512);
  const layer = smallBlob(4096);
  for (const repo of [REPOS.manifests, REPOS.tags]) {
    await pushSmall(ctx, repo, config.data, config.digest);
    await pushSmall(ctx, repo, layer.data, layer.digest);
  }
  const template = manifestTemplate(
    { digest: config.digest, size: config.data.length },
    { digest: layer.digest, size: layer.data.length },
  );
  const tags = Array.from({ length: ctx.opts.tagCount }, (_, i) => `v${i}`);
  await runPool(tags, 8, async (tag) => {
    await expect(201, url(ctx, `/v2/${REPOS.tags}/manifests/${tag}`), {
      method: 'PUT',
      headers: { ...ctx.target.headers, 'content-type': OCI_MANIFEST },
      body: Buffer.from(template.replace('%s', tag)),
      agent: ctx.agent,
    });
  });
  return template;
}

async function wrkFigure(
  ctx: ScenarioContext,
  phase: string,
  script: (measured: boolean) => string,
): Promise<WrkResult> {
  const { opts, target } = ctx;
  const run = {
    base: target.base,
    headers: target.headers,
    connections: opts.concurrency,
    scratch: ctx.scratch,
  };
  await runWrk({ ...run, script: script(false), seconds: opts.warmupSeconds });
  const result = await ctx.ledger.measure(phase, () =>
    runWrk({ ...run, script: script(true), seconds: opts.durationSeconds }),
  );
  if (result.errors)
    ctx.log(
      `${phase}: ${result.errors} error responses of ${result.requests}; figure not comparable`,
    );
  return result;
}

export async function manifests(ctx: ScenarioContext): Promise<void> {
  const template = await prepare(ctx);
  const tagPaths = Array.from(
    { length: ctx.opts.tagCount },
    (_, i) => `/v2/${REPOS.tags}/manifests/v${i}`,
  );

  const putRun = await wrkFigure(ctx, 'manifest PUT', (measured) =>
    putManifestsScript(
      REPOS.manifests,
      template,
      `${measured ? 'm' : 'w'}${ctx.round}-`,
      OCI_MANIFEST,
    ),
  );
  put(ctx, 'manifest-put', putRun.rate);
  put(ctx, 'manifest-put-p99', putRun.p99Ms);

  const get = await wrkFigure(ctx, 'manifest GET', () => cyclePathsScript('GET', tagPaths, ACCEPT));
  put(ctx, 'manifest-get', get.rate);
  put(ctx, 'manifest-get-p99', get.p99Ms);

  // wrk cannot do HEAD (it waits for a body): a raw-socket generator in the bench process instead.
  const headLoad = {
    base: ctx.target.base,
    headers: { ...ctx.target.headers, ...ACCEPT },
    paths: tagPaths,
    connections: ctx.opts.concurrency,
  };
  await runHeadLoad({ ...headLoad, seconds: ctx.opts.warmupSeconds });
  const head = await ctx.ledger.measure('manifest HEAD', () =>
    runHeadLoad({ ...headLoad, seconds: ctx.opts.durationSeconds }),
  );
  if (head.errors)
    ctx.log(
      `manifest HEAD: ${head.errors} error responses of ${head.requests}; figure not comparable`,
    );
  put(ctx, 'manifest-head', head.rate);
  put(ctx, 'manifest-head-p99', head.p99Ms);

  const tags = await wrkFigure(ctx, 'tags list', () =>
    cyclePathsScript('GET', [`/v2/${REPOS.tags}/tags/list`]),
  );
  put(ctx, 'tags-list', tags.rate);
  put(ctx, 'tags-list-p99', tags.p99Ms);

  const catalog = await wrkFigure(ctx, 'catalog', () => cyclePathsScript('GET', ['/v2/_catalog']));
  put(ctx, 'catalog', catalog.rate);
  put(ctx, 'catalog-p99', catalog.p99Ms);
}
