import type { Registry } from '../../registry/index.js';
import type { AuditLog } from './audit-log.js';

/** Pushes and deletes through /v2 go into the audit trail like any other change (pulls do not). */
export function auditRegistryChanges(registry: Pick<Registry, 'on'>, audit: AuditLog): void {
  registry.on((event) => {
    switch (event.type) {
      case 'manifest.pushed':
        audit.record({
          actor: event.actor,
          action: 'registry.push',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tag: event.tag, mediaType: event.mediaType },
        });
        break;
      case 'manifest.deleted':
        audit.record({
          actor: event.actor,
          action: 'registry.delete',
          target: `${event.repository}@${event.digest}`,
          address: event.address ?? '',
          detail: { tags: event.tags },
        });
        break;
      case 'tag.deleted':
        audit.record({
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
