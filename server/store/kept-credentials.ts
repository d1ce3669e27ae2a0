/**
 * The image sync's synchronous reader of kept source credentials, SQLite only: ImageSync
 * (store/sync) builds its job sources without awaiting and is ported with package G of
 * docs/decisions/0003. Everything else keeps and reads them through SourceCredentialRepository
 * (source-credential-repository.ts), on either engine.
 */
import type { SourceCredential } from '../../schemas/source-credentials.js';
import type { Db } from '../db/open-database.js';
import type { KeptCredential } from './source-credential-repository.js';
import { sqliteSourceCredentials } from './source-credentials-sqlite.js';

export type { KeptCredential } from './source-credential-repository.js';

export class KeptCredentials {
  private readonly rows: ReturnType<typeof sqliteSourceCredentials>;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.rows = sqliteSourceCredentials(db);
  }

  /** Keeps the components' credentials of `found` for the version, replacing what it had. */
  keep(versionId: number, found: readonly SourceCredential[]): void {
    this.rows.keepNow(versionId, found, this.clock());
  }

  forComponent(versionId: number, serviceKey: string): KeptCredential | undefined {
    return this.rows.forComponentNow(versionId, serviceKey);
  }
}
