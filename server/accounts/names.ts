/**
 * Namespace names: users and organisations share one space, and each is the first path component
 * of its repositories, so the grammar is the OCI path-component grammar, kept short and lower case.
 */
export const NAMESPACE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const NAMESPACE_MIN = 2;
export const NAMESPACE_MAX = 32;

/** Names that would be confusing or collide with the store's own paths. */
const RESERVED = new Set([
  'admin',
  'administrator',
  'root',
  'system',
  'appshelf',
  'api',
  'v2',
  'app-server',
  'static',
  'assets',
  'login',
  'logout',
  'signup',
  'settings',
  'search',
  'explore',
  'market',
  'store',
  'orgs',
  'users',
  'help',
  'library',
  'support',
  'security',
  'anonymous',
  'null',
  'undefined',
]);

/** Why `name` cannot name a new namespace, or undefined when it can. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name.length < NAMESPACE_MIN || name.length > NAMESPACE_MAX)
    return `must be ${NAMESPACE_MIN}-${NAMESPACE_MAX} characters`;
  if (!NAMESPACE_NAME.test(name))
    return 'must be lower-case letters and digits, separated by single . _ or -';
  if (RESERVED.has(name)) return 'is reserved';
  return undefined;
}
