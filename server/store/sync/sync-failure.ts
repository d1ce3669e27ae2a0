/** Why a component copy or a bundle write failed, as the sync API reports it: a code and a message. */
import type { SyncFailure } from '../../../schemas/sync.js';
import { blockedCause, ClientError } from '../../../registry/client/index.js';
import { OciError } from '../../../registry/index.js';
import { ImageRefError } from './image-ref.js';

/** A failure the sync itself detects (a changed draft, a reference it cannot use). */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * ClientError codes (`unauthorized`, `not_found`, `network`, ...) from the source registry,
 * OciError codes (`MANIFEST_INVALID`, ...) from the store's own, `invalid_reference`, or `internal`.
 * `blocked` (the outbound policy refused a hop) also names the refused `host`, the `reason`
 * (`loopback`, `private`, `self`, ...). A component's failure message starts with the component
 * and the source reference it was copied from, so one line says what to fix where.
 */
export function failureOf(
  err: unknown,
  component?: { serviceKey: string; source: string },
): SyncFailure {
  const failure = plainFailureOf(err);
  return component
    ? { ...failure, message: `component ${componentLabel(component)}: ${failure.message}` }
    : failure;
}

/** `<service key> from <source reference>`, as sync messages name a component. */
export function componentLabel(component: { serviceKey: string; source: string }): string {
  return `${component.serviceKey} from ${component.source}`;
}

function plainFailureOf(err: unknown): SyncFailure {
  const blocked =
    err instanceof ClientError && err.code === 'blocked' ? blockedCause(err) : undefined;
  if (blocked)
    return {
      code: 'blocked',
      message: blocked.message,
      host: blocked.host,
      reason: blocked.reason,
      ...(blocked.address !== undefined ? { address: blocked.address } : {}),
    };
  if (err instanceof ClientError || err instanceof SyncError)
    return { code: err.code, message: err.message };
  if (err instanceof OciError) return { code: err.code, message: err.message };
  if (err instanceof ImageRefError) return { code: 'invalid_reference', message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
