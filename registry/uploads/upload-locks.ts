import { OciError } from '../errors.js';

/** One request at a time per upload session, and the set of sessions with a request in flight. */
export class UploadLocks {
  private readonly busy = new Set<string>();
  /** Uploads with a request in flight: GC must not remove them, shutdown waits for them. */
  readonly active = new Set<string>();

  async run<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) {
      throw new OciError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload', {
        id,
      });
    }
    this.busy.add(id);
    this.active.add(id);
    try {
      return await work();
    } finally {
      this.busy.delete(id);
      this.active.delete(id);
    }
  }
}
