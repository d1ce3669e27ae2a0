/**
 * A sync job as the API shows it. The jobs themselves are rows of `sync_jobs` behind
 * `SyncJobRepository` (sync-job-repository.ts): per component its state, pinned digest,
 * progress and failure.
 */
import type { SyncJobView } from '../../../schemas/sync.js';
import type { SyncJob } from './sync-job-repository.js';

export function viewOf(job: SyncJob, version: string): SyncJobView {
  return {
    id: job.id,
    version,
    state: job.state,
    progress: {
      done: job.components.filter((c) => c.state === 'done').length,
      total: job.components.length,
    },
    error: job.error,
    components: job.components,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
}
