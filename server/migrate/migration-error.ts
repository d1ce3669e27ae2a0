/** What `appshelf migrate` refuses or fails with; the CLI prints the message and exits 1. */
export type MigrationErrorCode =
  /** The two configs ask for a move this command does not make (or for none). */
  | 'unsupported'
  /** The source config names no store (no database in its data folder). */
  | 'no_source'
  /** The source's SQLite database is locked by a writer: the store still runs. */
  | 'source_busy'
  /** A database or bucket of either side cannot be reached or refuses the login. */
  | 'unreachable'
  /** A storage driver failed (an endpoint down, a bucket missing, a disk full): run it again. */
  | 'storage_failed'
  /** The target database holds rows already: a store ran on it, or an earlier migrate finished. */
  | 'target_not_empty'
  /** The two databases' tables or columns differ (a build mismatch: never expected). */
  | 'schema_mismatch'
  /** A content-addressed blob's bytes do not hash to its key. */
  | 'digest_mismatch'
  /** The copy's own checks after the copy found the target wrong. */
  | 'verification_failed';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A PostgreSQL URL as it may be printed: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
