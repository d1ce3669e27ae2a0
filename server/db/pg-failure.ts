/**
 * Why a PostgreSQL URL could not be used, as one line an operator can print: where it pointed
 * (host, port, database, user: what they compare with their setup) and the driver's reason,
 * never the password. The URL itself is left out (it holds the password), and the password is
 * cut out of the reason too: nothing of pg's promises to leave it out of its messages.
 */

/** `PostgreSQL is not usable (host h, port p, database d, user u): <reason>`. */
export function pgFailureReason(url: string, err: unknown): string {
  const target = targetOf(url);
  let reason = reasonOf(err);
  for (const secret of target.secrets) reason = reason.split(secret).join('***');
  return `PostgreSQL is not usable (${target.text}): ${reason}`;
}

function targetOf(url: string): { text: string; secrets: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { text: 'an unparsable URL', secrets: [] };
  }
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  // pg's own defaults for what the URL leaves out (a unix socket comes as `?host=/path`).
  const user = decode(parsed.username) || '(the default user)';
  const host = decode(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const database = decode(parsed.pathname.slice(1)) || user;
  const text = `host ${host}, port ${parsed.port || '5432'}, database ${database}, user ${user}`;
  // As sent (percent-encoded) and as pg decodes it; longest first, so neither leaves a piece.
  const secrets = [...new Set([parsed.password, decode(parsed.password)])]
    .filter((s) => s !== '')
    .sort((a, b) => b.length - a.length);
  return { text, secrets };
}

/**
 * The error's message; an AggregateError (Node trying each address of a host name) has an empty
 * one, so its parts' messages stand in.
 */
function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message) return err.message;
  if (err instanceof AggregateError && err.errors.length)
    return err.errors.map((e) => reasonOf(e)).join('; ');
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? err.name;
}
