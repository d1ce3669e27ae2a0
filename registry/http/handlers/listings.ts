import { MediaTypes, type Descriptor } from '../../../schemas/oci.js';
import { OciError } from '../../errors.js';
import { parseDigest } from '../../names.js';
import type { Call, RegistryContext } from '../context.js';
import { parsePage } from '../request.js';
import { sendJson } from '../respond.js';

function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function listTags(ctx: RegistryContext, call: Call): Promise<void> {
  const { repository, res } = call;
  const { n, last } = parsePage(call.query);
  if (!(await ctx.meta.repositoryExists(repository)))
    throw new OciError('NAME_UNKNOWN', undefined, { name: repository });
  const tags = n === 0 ? [] : await ctx.meta.listTags(repository, last, n);
  const lastTag = tags.at(-1);
  if (lastTag !== undefined && tags.length === n)
    res.setHeader('Link', nextLink(`/v2/${repository}/tags/list`, n, lastTag));
  sendJson(res, 200, { name: repository, tags });
}

export async function listRepositories(
  ctx: RegistryContext,
  call: Pick<Call, 'res' | 'query'>,
): Promise<void> {
  const { n, last } = parsePage(call.query);
  const repositories = n === 0 ? [] : await ctx.meta.listRepositories(last, n);
  const lastRepo = repositories.at(-1);
  if (lastRepo !== undefined && repositories.length === n)
    call.res.setHeader('Link', nextLink('/v2/_catalog', n, lastRepo));
  sendJson(call.res, 200, { repositories });
}

/** The referrers API: an image index of the manifests whose `subject` is the given digest. */
export async function listReferrers(ctx: RegistryContext, call: Call): Promise<void> {
  const subject = parseDigest(call.param);
  const artifactType = call.query.get('artifactType');
  const rows = await ctx.meta.referrers(call.repository, subject);
  const manifests: Descriptor[] = rows
    .filter((row) => artifactType === null || row.artifactType === artifactType)
    .map((row) => ({
      mediaType: row.mediaType,
      digest: row.digest,
      size: row.size,
      ...(row.artifactType ? { artifactType: row.artifactType } : {}),
      ...(row.annotations
        ? { annotations: JSON.parse(row.annotations) as Record<string, string> }
        : {}),
    }));
  if (artifactType !== null) call.res.setHeader('OCI-Filters-Applied', 'artifactType');
  sendJson(
    call.res,
    200,
    { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests },
    MediaTypes.ociIndex,
  );
}
