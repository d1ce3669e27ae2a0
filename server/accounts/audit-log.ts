import type { AuditRepository } from './audit-repository.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  address?: string;
  /** Facts about the action; never a secret (keys, codes, tokens). */
  detail?: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  /** Actions starting with this (e.g. `user.`). */
  actionPrefix?: string | undefined;
  target?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Entries with an id below this one (the next page). */
  before?: number | undefined;
  limit: number;
}

/** The audit trail: appended by every mutating action, read by admins. */
export class AuditLog {
  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Appends `entry`. On SQLite the row is written before this returns, and nothing is returned
   * (every push appends one: no promise on that path); on PostgreSQL the write's promise, which
   * a caller must await.
   */
  record(entry: AuditEntry): void | Promise<void> {
    return this.repository.record({
      at: this.clock(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? '',
      address: entry.address ?? '',
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  async list(filter: AuditFilter): Promise<
    {
      id: number;
      at: string;
      actor: string;
      action: string;
      target: string;
      address: string;
      detail: unknown;
    }[]
  > {
    return (await this.repository.list(filter)).map((row) => ({
      ...row,
      at: new Date(row.at).toISOString(),
      detail: JSON.parse(row.detail) as unknown,
    }));
  }
}
