/**
 * The bodies a hook receives, built once per delivery (the outbox stores the exact bytes, so a
 * retry or a redelivery sends and signs the same body) and the signature over them.
 *
 * - `default`: `{id, event, occurredAt, namespace, app, actor, data}` (application/json).
 * - `cloudevents`: CloudEvents 1.0 in structured mode (application/cloudevents+json), type
 *   `io.appshelf.<event>`, the same `data`.
 */
import { createHmac } from 'node:crypto';
import type { StoreEvent, WebhookFormat } from '../../schemas/webhooks.js';

export const CONTENT_TYPES: Record<WebhookFormat, string> = {
  default: 'application/json',
  cloudevents: 'application/cloudevents+json',
};

export interface EventMeta {
  id: string;
  at: number;
  /** The store's public URL, for the CloudEvents `source` (absent: a relative reference). */
  publicUrl?: string | undefined;
}

export function deliveryBody(event: StoreEvent, format: WebhookFormat, meta: EventMeta): string {
  const time = new Date(meta.at).toISOString();
  const subject = event.app ? `${event.namespace}/${event.app}` : event.namespace;
  if (format === 'cloudevents') {
    const path = event.app
      ? `/api/v1/apps/${event.namespace}/${event.app}`
      : `/api/v1/namespaces/${event.namespace}`;
    return JSON.stringify({
      specversion: '1.0',
      id: meta.id,
      source: `${meta.publicUrl ?? ''}${path}`,
      type: `io.appshelf.${event.type}`,
      subject,
      time,
      datacontenttype: 'application/json',
      ...(event.actor ? { appshelfactor: event.actor } : {}),
      data: event.data,
    });
  }
  return JSON.stringify({
    id: meta.id,
    event: event.type,
    occurredAt: time,
    namespace: event.namespace,
    app: event.app ?? null,
    actor: event.actor ?? null,
    data: event.data,
  });
}

/** `sha256=<hex HMAC-SHA256 of the body with the hook's secret>`: X-Appshelf-Signature. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
