import type { Logger } from 'pino';
import type { Registry } from '../../registry/index.js';
import type { AuditEntry, AuditLog } from './audit-log.js';

/** Pushes and deletes through /v2 go into the audit trail like any other change (pulls do not). */
export function auditRegistryChanges(
  registry: Pick<Registry, 'on'>,
  audit: AuditLog,
  log: Logger,
): void {
  // On PostgreSQL the write is a promise: the push or delete answers its client once it is
  // written (registry/events.ts), and a failed write is logged rather than failing a change that
  // has happened.
  const record = (entry: AuditEntry): Promise<void> | undefined =>
    audit
      .record(entry)
      ?.catch((err: unknown) =>
        log.error(
          { err, action: entry.action, target: entry.target },
          'registry change not audited',
        ),
      );
  registry.on((event) => {
    switch (event.type) {
      case 'manifest.pushed':
        return record({
          actor: event.actor,
          action: 'registry.push',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tag: event.tag, mediaType: event.mediaType },
        });
      case 'manifest.deleted':
        return record({
          actor: event.actor,
          action: 'registry.delete',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tags: event.tags },
        });
      case 'tag.deleted':
        return record({
          actor: event.actor,
          action: 'registry.untag',
          target: `${event.repository}:${event.tag}`,
          address: event.address ?? '',
          detail: { digest: event.digest },
        });
      case 'manifest.pulled':
        return undefined;
    }
  });
}
