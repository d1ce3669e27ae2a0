/** A `sync_jobs` row (either engine: the columns are the same) read as a SyncJob. */
import { z } from 'zod';
import { ComponentSync, SyncFailure, SyncJobState } from '../../../schemas/sync.js';
import type { syncJobs } from '../../db/store-schema.js';
import type { SyncJob } from './sync-job-repository.js';

const Components = z.array(ComponentSync);

export function toJob(row: typeof syncJobs.$inferSelect): SyncJob {
  const components = Components.safeParse(safeJson(row.components));
  const error = row.error === null ? null : SyncFailure.safeParse(safeJson(row.error));
  return {
    id: row.id,
    versionId: row.versionId,
    state: row.state,
    components: components.success ? components.data : [],
    error:
      error === null
        ? null
        : error.success
          ? error.data
          : { code: 'unknown', message: row.error ?? '' },
    owner: row.owner,
    heartbeatAt: row.heartbeatAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The components `pick` chooses back to pending, their error cleared (a retry). */
export function reopened(
  components: ComponentSync[],
  pick: (c: ComponentSync) => boolean,
): ComponentSync[] {
  return components.map((c) => {
    if (!pick(c)) return c;
    const { error: _cleared, ...rest } = c;
    return { ...rest, state: 'pending' };
  });
}

export function noCounts(): Record<SyncJobState, number> {
  return Object.fromEntries(SyncJobState.options.map((s) => [s, 0])) as Record<
    SyncJobState,
    number
  >;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
