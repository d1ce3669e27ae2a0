/**
 * What keeps credentials out of the log (STYLE.md: redact auth headers, cookies, secrets and login
 * codes). Two nets, because a secret reaches a log line either as a field or inside a string:
 * - a field named like a credential is censored at any depth of the logged object;
 * - inside every string (the message too), the formats of the store's own secrets — access keys
 *   `ask_…`, sessions `ses_…`, registry JWTs — and Basic/Bearer values and URL passwords are masked.
 * The development SMS provider prints the code it was asked to send as a plain line beside the log
 * (where the first start prints the admin key), never into it.
 */

export const CENSOR = '[redacted]';

/** Field names whose value is a credential, wherever they sit. */
const SECRET_FIELD =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|hub_?password|secret|secret_?key|client_?secret|token|access_?token|refresh_?token|id_?token|session_?token|access_?key|api_?key|private_?key|credentials?)$/i;

/** Secrets only inside a logged body (a login's `code`); at the top, `code` is an error code. */
const NESTED_SECRET_FIELD = /^(code|key)$/i;

const SECRET_TEXT: readonly [RegExp, string][] = [
  [/\b(ask|ses)_[A-Za-z0-9_-]{16,}/g, `$1_${CENSOR}`],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, CENSOR],
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${CENSOR}`],
  [/(\/\/[^\s/:@]+):[^\s/@]+@/g, `$1:${CENSOR}@`],
];

const MAX_DEPTH = 8;

export function maskText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * A copy of a logged value with its secrets censored. Only plain objects and arrays are walked:
 * errors go through the `err` serializer (which scrubs what it made), other objects are left as
 * pino writes them.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => scrub(v, depth + 1));
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const secret = SECRET_FIELD.test(key) || (depth > 0 && NESTED_SECRET_FIELD.test(key));
    out[key] = secret ? CENSOR : scrub(v, depth + 1);
  }
  return out;
}
