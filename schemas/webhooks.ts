/**
 * Webhooks (issue 17 §4): the request body that makes a hook, the events a hook can ask for, and
 * the payloads the store sends (docs/governance.md shows both formats).
 */
import { z } from 'zod';

export const WEBHOOK_EVENTS = [
  'push',
  'publish',
  'sync_failed',
  'delete',
  'install',
  'listed',
  'quota_warning',
] as const;
export const WebhookEventName = z.enum(WEBHOOK_EVENTS);
export type WebhookEventName = z.infer<typeof WebhookEventName>;

export const WebhookFormat = z.enum(['default', 'cloudevents']);
export type WebhookFormat = z.infer<typeof WebhookFormat>;

export const NewWebhook = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http or https URL' })
    .max(2048)
    .refine((u) => !new URL(u).username && !new URL(u).password, {
      error:
        'credentials in the URL would be sent in the clear to anyone reading logs; sign with the secret instead',
    }),
  events: z.array(WebhookEventName).min(1).max(WEBHOOK_EVENTS.length),
  /** Signs every body (X-Appshelf-Signature); never served back. */
  secret: z.string().min(16, 'the secret needs at least 16 characters').max(256),
  format: WebhookFormat.default('default'),
});
export type NewWebhook = z.infer<typeof NewWebhook>;

/** The data of each event, as both formats carry it. */
export interface WebhookEventData {
  /** A version was pushed (a bare template: a draft; a bundle: a ready version). */
  push: { repository: string; version: string; digest: string; kind: 'template' | 'bundle' };
  /** A version became ready to install (a bundle landed under its tag, by push or image sync). */
  publish: { repository: string; version: string; digest: string };
  /** The image sync of a draft's publish failed. */
  sync_failed: { repository: string; version: string; job: number; code: string; message: string };
  /** A version (`version` set) or the whole app was deleted. */
  delete: { repository: string; version?: string };
  /** A client took a version's template for install. */
  install: { repository: string; version: string; via: 'api' | 'rainstore' };
  /** The app went on (`listed: true`) or off the shelf. */
  listed: { repository: string; listed: boolean };
  /** The namespace's storage passed its quota's warning level (server/governance/quotas.ts). */
  quota_warning: { usedBytes: number; warnBytes: number; limitBytes: number };
}

/** One event as the store emits it, before it is shaped for a hook's format. */
export type StoreEvent = {
  [K in WebhookEventName]: {
    type: K;
    namespace: string;
    /** The app's name; absent for a namespace's own events (quota_warning). */
    app?: string | undefined;
    /** Who caused it, when the store knows. */
    actor?: string | undefined;
    data: WebhookEventData[K];
  };
}[WebhookEventName];
