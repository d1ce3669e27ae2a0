import type { Logger } from 'pino';
import type { Registry } from '../../registry/index.js';
import type { AuditEntry, AuditLog } from './audit-log.js';

/** Pushes and deletes through /v2 go into the audit trail like any other change (pulls do not). */
export function auditRegistryChanges(
  registry: Pick<Registry, 'on'>,
  audit: AuditLog,
  log: Logger,
): void {
  // The registry's listeners are synchronous: on PostgreSQL the write is a promise, and a failed
  // one is logged rather than left unhandled (the push or delete itself has happened).
  const record = (entry: AuditEntry): void => {
    const written = audit.record(entry);
    if (written)
      written.catch((err: unknown) =>
        log.error(
          { err, action: entry.action, target: entry.target },
          'registry change not audited',
        ),
      );
  };
  registry.on((event) => {
    switch (event.type) {
      case 'manifest.pushed':
        record({
          actor: event.actor,
          action: 'registry.push',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tag: event.tag, mediaType: event.mediaType },
        });
        break;
      case 'manifest.deleted':
        record({
          actor: event.actor,
          action: 'registry.delete',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tags: event.tags },
        });
        break;
      case 'tag.deleted':
        record({
          actor: event.actor,
          action: 'registry.untag',
          target: `${event.repository}:${event.tag}`,
          address: event.address ?? '',
          detail: { digest: event.digest },
        });
        break;
      case 'manifest.pulled':
        break;
    }
  });
}
