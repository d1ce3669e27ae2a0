/**
 * The CLI's one error type, and the one translation of everything else into it. A message is
 * one sentence: what failed and why, then what to do about it.
 */
import type { ClientError } from '../registry/client/index.js';

/** 'usage' exits 2 (the command line is wrong), 'failure' exits 1. */
export type CliErrorKind = 'usage' | 'failure';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly kind: CliErrorKind,
    message: string,
    /** What to do about it. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The line the user sees (without the `appshelf: ` prefix). */
  get sentence(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export const usage = (message: string, hint?: string): CliError =>
  new CliError('usage', message, hint);
export const failure = (message: string, hint?: string, cause?: unknown): CliError =>
  new CliError('failure', message, hint, cause === undefined ? undefined : { cause });

/** By name, not instanceof: the light commands never load the registry client. */
function isClientError(err: unknown): err is ClientError {
  return (
    err instanceof Error &&
    err.name === 'ClientError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

const LOGIN_HINT = 'run "appshelf login <store> --key <key>" with a valid access key';

/** Any error as a CliError whose sentence says what happened and what to do. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (isClientError(err)) {
    const what = err.message;
    switch (err.code) {
      case 'unauthorized':
        return failure(`the registry refused the credentials (${what})`, LOGIN_HINT, err);
      case 'denied':
        return failure(
          `the registry denied access (${what})`,
          'push with a key that has the push scope, into a namespace you own or belong to',
          err,
        );
      case 'not_found':
        return failure(
          `not found (${what})`,
          'check the reference ("appshelf search" lists apps)',
          err,
        );
      case 'network':
        return failure(
          `cannot reach the registry (${what}${reasonOf(err) ? `: ${reasonOf(err)}` : ''})`,
          'check the address and that the registry is running',
          err,
        );
      case 'unavailable':
        return failure(`the registry is failing or overloaded (${what})`, 'try again later', err);
      case 'digest_mismatch':
        return failure(
          `content does not match its digest (${what})`,
          'the source is corrupt or changed during the copy; try again',
          err,
        );
      case 'too_large':
        return failure(
          `too large (${what})`,
          'the registry or the client refuses content of that size',
          err,
        );
      case 'invalid':
        return failure(
          `the registry refused the request (${what})`,
          'check the input it names',
          err,
        );
      case 'protocol':
        return failure(
          `unexpected answer (${what})`,
          'check that the address is an OCI registry or an OCI layout',
          err,
        );
      case 'aborted':
        return failure(
          'interrupted',
          'run the command again: copies go on from what the target already holds',
          err,
        );
    }
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const path = (err as { path?: unknown } | undefined)?.path;
  if (
    typeof path === 'string' &&
    (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR')
  ) {
    const why = {
      ENOENT: 'no such file or folder',
      EACCES: 'permission denied',
      EISDIR: 'it is a folder',
      ENOTDIR: 'a parent is not a folder',
    }[code];
    return failure(`cannot use ${path}: ${why}`, 'check the path', err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return failure(
    `unexpected error: ${message}`,
    'run again with APPSHELF_DEBUG=1 for details and report it',
    err,
  );
}

/** The innermost cause's system code (ECONNREFUSED, ENOTFOUND...) or message, for "fetch failed". */
export function reasonOf(err: unknown): string | undefined {
  let reason: string | undefined;
  for (
    let e = (err as { cause?: unknown } | undefined)?.cause, depth = 0;
    e && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') reason = code;
    else if (typeof message === 'string' && message !== 'fetch failed') reason = message;
  }
  return reason;
}
