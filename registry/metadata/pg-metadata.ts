/**
 * The registry's metadata on PostgreSQL, for several store processes sharing one database.
 * The statements are SQLite's (metadata-sql.ts), numbered for PostgreSQL and named so each
 * connection plans them once. What SQLite's single writer gave for free is taken explicitly:
 * GC holds an exclusive advisory lock for its sweep, and every write that GC could race (a blob
 * recorded or mounted, a manifest stored) holds the same lock shared, so no push interleaves
 * with a sweep in any process.
 */
import type pg from 'pg';
import { int8AsNumber } from './pg-module.js';
import type { Digest } from '../../schemas/oci.js';
import type { StaleUpload } from '../uploads/blob-uploads.js';
import { METADATA_SQL, type MetadataStatement } from './metadata-sql.js';
import type {
  ManifestRow,
  ReferrerRow,
  RegistryMetadata,
  StoredManifest,
  Swept,
  SweepPlan,
  UntaggedManifest,
  UploadRow,
} from './registry-metadata.js';
import type { RegistryTotals } from './registry-totals.js';

/** The advisory lock key of GC against pushes (any fixed number; 'gc' in ASCII). */
export const GC_LOCK = 0x6763;

/** `?` placeholders numbered `$1…`: the statements hold no literal question marks. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const STATEMENTS = Object.fromEntries(
  Object.entries(METADATA_SQL).map(([name, sql]) => [name, numbered(sql)]),
) as Record<MetadataStatement, string>;

const LIVE_MANIFESTS = `
  with recursive live(repository, digest) as (
    select repository, digest from tags
    union select repository, digest from manifests where created_at > $1
    union select split_part(t, '@', 1), split_part(t, '@', 2) from json_array_elements_text($2::json) t
    union select n.repository, n.digest from live l cross join lateral (
      select r.repository, r.child as digest from manifest_refs r
        where r.repository = l.repository and r.parent = l.digest and r.kind = 'manifest'
      union all
      select m.repository, m.digest from manifests m
        where m.repository = l.repository and m.subject = l.digest) n
  )`;

const DEAD_MANIFESTS = `${LIVE_MANIFESTS} select m.repository as repository, m.digest as digest from manifests m
  where not exists (select 1 from live l where l.repository = m.repository and l.digest = m.digest)`;

const DEAD_BLOBS = `${LIVE_MANIFESTS}, live_blobs(digest) as (
    select r.child from manifest_refs r join live l on r.repository = l.repository and r.parent = l.digest
    where r.kind = 'blob')
  select digest, size from blobs where created_at <= $1
    and digest not in (select digest from live_blobs)`;

const UNTAGGED = `${LIVE_MANIFESTS} select m.repository as repository, m.digest as digest, m.created_at as "createdAt"
  from manifests m where substr(m.repository, 1, length($3)) = $3 and m.created_at <= $1
  and not exists (select 1 from live l where l.repository = m.repository and l.digest = m.digest)
  order by m.repository, m.created_at`;

/**
 * For the transaction of a statement over LIVE_MANIFESTS: the planner cannot tell how deep the
 * recursion goes, so it estimates a cost (over a million on an empty store) far above
 * `jit_above_cost`, and PostgreSQL compiles the plan, some 600 ms a statement, where the walk
 * itself takes a millisecond. A sweep runs two of them under GC's exclusive lock, holding every
 * push for that long.
 */
const NO_JIT = 'SET LOCAL jit = off';

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export class PgRegistryMetadata implements RegistryMetadata {
  readonly touchedManifests = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  private async rows<T>(
    statement: MetadataStatement,
    values: unknown[],
    on: Queryable = this.pool,
  ): Promise<T[]> {
    const result = await on.query({
      name: `registry_${statement}`,
      text: STATEMENTS[statement],
      values,
      types: int8AsNumber(),
    });
    return result.rows as T[];
  }

  private async row<T>(
    statement: MetadataStatement,
    values: unknown[],
    on?: Queryable,
  ): Promise<T | undefined> {
    return (await this.rows<T>(statement, values, on))[0];
  }

  private async changes(
    statement: MetadataStatement,
    values: unknown[],
    on: Queryable = this.pool,
  ): Promise<number> {
    const result = await on.query({
      name: `registry_${statement}`,
      text: STATEMENTS[statement],
      values,
    });
    return result.rowCount ?? 0;
  }

  /** Runs `work` in one transaction on one connection; `gc`: which side of GC's lock it takes. */
  private async tx<T>(
    gc: 'shared' | 'exclusive' | 'none',
    work: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (gc === 'shared') await client.query('SELECT pg_advisory_xact_lock_shared($1)', [GC_LOCK]);
      if (gc === 'exclusive') await client.query('SELECT pg_advisory_xact_lock($1)', [GC_LOCK]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async ensureRepository(name: string): Promise<void> {
    await this.changes('ensureRepo', [name, this.now()]);
  }

  async repositoryExists(name: string): Promise<boolean> {
    return (await this.row('repoExists', [name])) !== undefined;
  }

  async blobSize(digest: Digest, on?: Queryable): Promise<number | undefined> {
    return (await this.row<{ size: number }>('blob', [digest], on))?.size;
  }

  async repositoryBlobSize(
    repository: string,
    digest: Digest,
    on?: Queryable,
  ): Promise<number | undefined> {
    return (await this.row<{ size: number }>('repoBlob', [repository, digest], on))?.size;
  }

  addBlob(repository: string, digest: Digest, size: number): Promise<void> {
    const now = this.now();
    return this.tx('shared', async (c) => {
      await this.changes('ensureRepo', [repository, now], c);
      await this.changes('insertBlob', [digest, size, now], c);
      await this.changes('linkBlob', [repository, digest, now], c);
    });
  }

  linkBlob(repository: string, digest: Digest): Promise<boolean> {
    const now = this.now();
    return this.tx('shared', async (c) => {
      if ((await this.blobSize(digest, c)) === undefined) return false;
      await this.changes('ensureRepo', [repository, now], c);
      await this.changes('linkBlob', [repository, digest, now], c);
      return true;
    });
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return (await this.changes('unlinkBlob', [repository, digest])) > 0;
  }

  async manifestByTag(repository: string, tag: string): Promise<StoredManifest | undefined> {
    return this.touch(
      repository,
      await this.row<StoredManifest>('manifestByTag', [repository, tag]),
    );
  }

  async manifestByDigest(repository: string, digest: Digest): Promise<StoredManifest | undefined> {
    return this.touch(
      repository,
      await this.row<StoredManifest>('manifestByDigest', [repository, digest]),
    );
  }

  private touch<T extends { digest: Digest } | undefined>(repository: string, found: T): T {
    if (found) this.touchedManifests.set(`${repository}@${found.digest}`, this.now());
    return found;
  }

  async tagDigest(repository: string, tag: string, on?: Queryable): Promise<Digest | undefined> {
    return (await this.row<{ digest: Digest }>('tagDigest', [repository, tag], on))?.digest;
  }

  async tagsOf(repository: string, digest: Digest, on?: Queryable): Promise<string[]> {
    return (await this.rows<{ name: string }>('tagsOf', [repository, digest], on)).map(
      (r) => r.name,
    );
  }

  async isReferenced(repository: string, digest: Digest): Promise<boolean> {
    return (await this.row('referenced', [repository, digest])) !== undefined;
  }

  putManifest(row: ManifestRow, tag?: string, partial = false): Promise<{ missing: Digest[] }> {
    const now = this.now();
    return this.tx('shared', async (c) => {
      const missing: Digest[] = [];
      if (!partial) {
        for (const ref of row.refs) {
          const held =
            ref.kind === 'blob'
              ? (await this.repositoryBlobSize(row.repository, ref.child, c)) !== undefined
              : (await this.row('manifestExists', [row.repository, ref.child], c)) !== undefined;
          if (!held) missing.push(ref.child);
        }
      }
      if (missing.length > 0) return { missing };
      await this.changes('ensureRepo', [row.repository, now], c);
      const inserted = await this.changes(
        'insertManifest',
        [
          row.repository,
          row.digest,
          row.mediaType,
          row.artifactType,
          row.subject,
          row.annotations ? JSON.stringify(row.annotations) : null,
          row.content.length,
          row.content,
          now,
        ],
        c,
      );
      if (inserted > 0) {
        for (const ref of row.refs)
          await this.changes('insertRef', [row.repository, row.digest, ref.child, ref.kind], c);
      }
      if (tag !== undefined)
        await this.changes('upsertTag', [row.repository, tag, row.digest, now], c);
      this.touch(row.repository, row);
      return { missing: [] };
    });
  }

  deleteManifest(
    repository: string,
    digest: Digest,
  ): Promise<{ deleted: boolean; tags: string[] }> {
    return this.tx('none', async (c) => {
      const tags = await this.tagsOf(repository, digest, c);
      const deleted = (await this.changes('deleteManifest', [repository, digest], c)) > 0;
      if (deleted) {
        await this.changes('deleteTagsOf', [repository, digest], c);
        await this.changes('deleteRefsOf', [repository, digest], c);
      }
      return { deleted, tags: deleted ? tags : [] };
    });
  }

  deleteTag(repository: string, tag: string): Promise<Digest | undefined> {
    return this.tx('none', async (c) => {
      const digest = await this.tagDigest(repository, tag, c);
      if (digest) await this.changes('deleteTag', [repository, tag], c);
      return digest;
    });
  }

  async listTags(repository: string, last: string, limit: number): Promise<string[]> {
    return (await this.rows<{ name: string }>('listTags', [repository, last, limit])).map(
      (r) => r.name,
    );
  }

  async listRepositories(last: string, limit: number): Promise<string[]> {
    return (await this.rows<{ name: string }>('listRepos', [last, limit])).map((r) => r.name);
  }

  referrers(repository: string, subject: Digest): Promise<ReferrerRow[]> {
    return this.rows<ReferrerRow>('referrers', [repository, subject]);
  }

  async createUpload(
    id: string,
    repository: string,
    owner = '',
    maxOpen = Infinity,
  ): Promise<UploadRow | undefined> {
    const now = this.now();
    const capped = owner !== '' && maxOpen !== Infinity;
    const created = await this.tx('none', async (c) => {
      if (capped) {
        // One owner's starts queue here across processes (the lock ends with the transaction).
        await c.query("SELECT pg_advisory_xact_lock(hashtext('uploads:' || $1))", [owner]);
        const open = await this.row<{ n: number }>('openUploadsOf', [owner], c);
        if ((open?.n ?? 0) >= maxOpen) return false;
      }
      await this.changes('ensureRepo', [repository, now], c);
      await this.changes('createUpload', [id, repository, now, now, owner], c);
      return true;
    });
    return created ? { id, repository, size: 0, createdAt: now, updatedAt: now } : undefined;
  }

  async openUploadsOf(owner: string): Promise<number> {
    return (await this.row<{ n: number }>('openUploadsOf', [owner]))?.n ?? 0;
  }

  upload(id: string): Promise<UploadRow | undefined> {
    return this.row<UploadRow>('upload', [id]);
  }

  async setUploadSize(id: string, size: number): Promise<void> {
    await this.changes('setUploadSize', [size, this.now(), id]);
  }

  async uploadState(id: string): Promise<string | undefined> {
    return (await this.row<{ state: string | null }>('uploadState', [id]))?.state ?? undefined;
  }

  async advanceUpload(id: string, from: number, size: number, state: string): Promise<boolean> {
    return (await this.changes('advanceUpload', [size, state, this.now(), id, from])) > 0;
  }

  async deleteUpload(id: string): Promise<void> {
    await this.changes('deleteUpload', [id]);
  }

  async setTag(repository: string, tag: string, digest: Digest): Promise<void> {
    await this.changes('upsertTag', [repository, tag, digest, this.now()]);
  }

  allTags(repository: string): Promise<{ name: string; digest: Digest }[]> {
    return this.rows('allTags', [repository]);
  }

  async totals(): Promise<RegistryTotals> {
    return (await this.row<RegistryTotals>('totals', []))!;
  }

  sweep(plan: SweepPlan): Promise<Swept> {
    const { cutoff, uploadCutoff, dryRun } = plan;
    const touched = JSON.stringify(plan.touched);
    return this.tx('exclusive', async (c) => {
      await c.query(NO_JIT);
      const query = async <T>(text: string, values: unknown[]): Promise<T[]> =>
        (await c.query({ text, values, types: int8AsNumber() })).rows as T[];
      const deadManifests = await query<{ repository: string; digest: Digest }>(DEAD_MANIFESTS, [
        cutoff,
        touched,
      ]);
      const deadBlobs = (
        await query<{ digest: Digest; size: number }>(DEAD_BLOBS, [cutoff, touched])
      ).filter((b) => !plan.keepBlob(b.digest));
      const staleUploads = (await this.rows<StaleUpload>('staleUploads', [uploadCutoff], c)).filter(
        (u) => !plan.keepUpload(u.id),
      );
      if (!dryRun) {
        for (const m of deadManifests) {
          await this.changes('deleteManifest', [m.repository, m.digest], c);
          await this.changes('deleteRefsOf', [m.repository, m.digest], c);
        }
        for (const b of deadBlobs) {
          await this.changes('deleteBlob', [b.digest], c);
          await this.changes('deleteLinksOf', [b.digest], c);
        }
        for (const u of staleUploads) await this.changes('deleteUpload', [u.id], c);
      }
      return { deadManifests, deadBlobs, staleUploads };
    });
  }

  async untaggedManifests(prefix: string, before: number): Promise<UntaggedManifest[]> {
    return this.tx('none', async (c) => {
      await c.query(NO_JIT);
      const result = await c.query({
        text: UNTAGGED,
        values: [before, '[]', prefix],
        types: int8AsNumber(),
      });
      return result.rows as UntaggedManifest[];
    });
  }
}
