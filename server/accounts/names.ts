import {
  NAMESPACE_MAX,
  NAMESPACE_MIN,
  NAMESPACE_NAME,
  NAMESPACE_NAME_RULE,
} from '../../schemas/names.js';

export { NAMESPACE_MAX, NAMESPACE_MIN, NAMESPACE_NAME };

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
  // The actor of scheduled retention runs in the audit log: no user may be called so.
  'retention',
]);

/** Why `name` cannot name a new namespace, or undefined when it can. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name.length < NAMESPACE_MIN || name.length > NAMESPACE_MAX || !NAMESPACE_NAME.test(name))
    return `must be ${NAMESPACE_NAME_RULE}`;
  if (RESERVED.has(name)) return 'is reserved';
  return undefined;
}
