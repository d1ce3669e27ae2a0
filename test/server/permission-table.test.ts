/**
 * The permission table: every (principal kind × action × resource state) combination that the rules
 * in server/auth/permissions.ts define, asserted from the outside against a live server, once with
 * `registry.anonymousPull` off and once on. The expectations below are written out by hand from
 * the rules comment, never computed from the code under test, so a change to one rule that
 * silently opens (or closes) another combination fails here, row by row.
 *
 * Principals are built through the real entry points: phone login (the code read from the log SMS
 * provider's line), access keys from POST /api/v1/keys, an organisation with a member and a
 * maintainer, a key that expires, a revoked key, a disabled user, and the bootstrap admin.
 * Registry actions are asserted twice: which actions the token endpoint grants (the JWT `access`
 * claim), and what a real /v2 request with that token does. Dead credentials (revoked, expired,
 * disabled) use a token issued while they were alive: it must stop working on the next request.
 */
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { codeInLine } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { sqlRun } from '../helpers/store-sql.js';

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const PRINCIPALS = [
  'anonymous',
  'alice', // session token; owner of namespace alice and of organisation acme
  'alice:read', // alice's access keys, by scopes
  'alice:install',
  'alice:push',
  'alice:all', // [read, install, push]
  'alice:expired', // [read, install, push], expired
  'alice:revoked', // [read, install, push], revoked
  'bob:push', // signed in, member of nothing but his own namespace
  'carol:push', // `member` of acme
  'dave:push', // `maintainer` of acme
  'eve:push', // key of a disabled user
  'eve', // session of a disabled user
  'admin', // the bootstrap admin key
] as const;
type PrincipalId = (typeof PRINCIPALS)[number];

/** Credentials that died after their tokens were issued. */
const DEAD: ReadonlySet<PrincipalId> = new Set([
  'alice:expired',
  'alice:revoked',
  'eve:push',
  'eve',
]);
/** Sessions are not registry credentials: they appear in the store API table only. */
const SESSIONS: ReadonlySet<PrincipalId> = new Set(['alice', 'eve']);

const REPOSITORIES = [
  'alice/app-listed', // an app, listed
  'alice/app-unlisted', // an app, not listed
  'alice/plain', // a plain image: no app row
  'acme/tool', // a plain image of the organisation
  'acme/secret', // an unlisted app of the organisation
] as const;
type Repository = (typeof REPOSITORIES)[number];

type RegistryAction = 'pull' | 'push' | 'delete';
const REGISTRY_ACTIONS: readonly RegistryAction[] = ['pull', 'push', 'delete'];

/**
 * Registry: the actions allowed, per principal and repository, with anonymousPull off | on.
 * p = pull, w = push, d = delete, - = refused. From the rules:
 * - dead credentials may do nothing (their tokens included);
 * - members read and push; owners and maintainers also delete; push and delete need the push scope,
 *   reading needs any scope; admin may do everything;
 * - anyone signed in reads listed apps, anonymous callers only with anonymousPull on; with it on,
 *   plain images are public too; unlisted apps are their members' alone.
 */
const REGISTRY_TABLE: readonly [PrincipalId, Repository, off: string, on: string][] = [
  // principal      repository            off    on
  ['anonymous', 'alice/app-listed', '---', 'p--'],
  ['anonymous', 'alice/app-unlisted', '---', '---'],
  ['anonymous', 'alice/plain', '---', 'p--'],
  ['anonymous', 'acme/tool', '---', 'p--'],
  ['anonymous', 'acme/secret', '---', '---'],

  ['alice:read', 'alice/app-listed', 'p--', 'p--'],
  ['alice:read', 'alice/app-unlisted', 'p--', 'p--'],
  ['alice:read', 'alice/plain', 'p--', 'p--'],
  ['alice:read', 'acme/tool', 'p--', 'p--'],
  ['alice:read', 'acme/secret', 'p--', 'p--'],

  ['alice:install', 'alice/app-listed', 'p--', 'p--'],
  ['alice:install', 'alice/app-unlisted', 'p--', 'p--'],
  ['alice:install', 'alice/plain', 'p--', 'p--'],
  ['alice:install', 'acme/tool', 'p--', 'p--'],
  ['alice:install', 'acme/secret', 'p--', 'p--'],

  ['alice:push', 'alice/app-listed', 'pwd', 'pwd'],
  ['alice:push', 'alice/app-unlisted', 'pwd', 'pwd'],
  ['alice:push', 'alice/plain', 'pwd', 'pwd'],
  ['alice:push', 'acme/tool', 'pwd', 'pwd'],
  ['alice:push', 'acme/secret', 'pwd', 'pwd'],

  ['alice:all', 'alice/app-listed', 'pwd', 'pwd'],
  ['alice:all', 'alice/app-unlisted', 'pwd', 'pwd'],
  ['alice:all', 'alice/plain', 'pwd', 'pwd'],
  ['alice:all', 'acme/tool', 'pwd', 'pwd'],
  ['alice:all', 'acme/secret', 'pwd', 'pwd'],

  ['alice:expired', 'alice/app-listed', '---', '---'],
  ['alice:expired', 'alice/app-unlisted', '---', '---'],
  ['alice:expired', 'alice/plain', '---', '---'],
  ['alice:expired', 'acme/tool', '---', '---'],
  ['alice:expired', 'acme/secret', '---', '---'],

  ['alice:revoked', 'alice/app-listed', '---', '---'],
  ['alice:revoked', 'alice/app-unlisted', '---', '---'],
  ['alice:revoked', 'alice/plain', '---', '---'],
  ['alice:revoked', 'acme/tool', '---', '---'],
  ['alice:revoked', 'acme/secret', '---', '---'],

  ['bob:push', 'alice/app-listed', 'p--', 'p--'],
  ['bob:push', 'alice/app-unlisted', '---', '---'],
  ['bob:push', 'alice/plain', '---', 'p--'],
  ['bob:push', 'acme/tool', '---', 'p--'],
  ['bob:push', 'acme/secret', '---', '---'],

  ['carol:push', 'alice/app-listed', 'p--', 'p--'],
  ['carol:push', 'alice/app-unlisted', '---', '---'],
  ['carol:push', 'alice/plain', '---', 'p--'],
  ['carol:push', 'acme/tool', 'pw-', 'pw-'],
  ['carol:push', 'acme/secret', 'pw-', 'pw-'],

  ['dave:push', 'alice/app-listed', 'p--', 'p--'],
  ['dave:push', 'alice/app-unlisted', '---', '---'],
  ['dave:push', 'alice/plain', '---', 'p--'],
  ['dave:push', 'acme/tool', 'pwd', 'pwd'],
  ['dave:push', 'acme/secret', 'pwd', 'pwd'],

  ['eve:push', 'alice/app-listed', '---', '---'],
  ['eve:push', 'alice/app-unlisted', '---', '---'],
  ['eve:push', 'alice/plain', '---', '---'],
  ['eve:push', 'acme/tool', '---', '---'],
  ['eve:push', 'acme/secret', '---', '---'],

  ['admin', 'alice/app-listed', 'pwd', 'pwd'],
  ['admin', 'alice/app-unlisted', 'pwd', 'pwd'],
  ['admin', 'alice/plain', 'pwd', 'pwd'],
  ['admin', 'acme/tool', 'pwd', 'pwd'],
  ['admin', 'acme/secret', 'pwd', 'pwd'],
];

const STORE_ACTIONS = [
  'create-key',
  'set-member',
  'list-members',
  'read-audit',
  'run-gc',
  'read-me',
  'list-invitations',
  'answer-invitation',
  'list-org-invitations',
  'list-org-webhooks',
  'read-org-usage',
  'set-quota',
  'set-immutability',
  'moderate-app',
] as const;
type StoreAction = (typeof STORE_ACTIONS)[number];

const Y = true;
const N = false;
/**
 * Store API (the same with anonymousPull off or on). From the rules and the routes: creating keys
 * needs a session or a push key; owners (with the push scope) manage acme's members; members (any
 * scope) see them; the audit trail and gc are the admin's; /users/me is anyone signed in.
 * Members join by invitation: anyone signed in sees their own (any scope) and answers them (a
 * session or the push scope); owners (with the push scope) see their organisation's pending ones.
 * An organisation's webhooks are its owners' (with the push scope) and the admin's alone.
 * Its storage usage is its owners' (any scope) and the admin's; quotas are set by the admin alone.
 * Its rules (immutable versions, retention) are changed by its owners (with the push scope) and
 * the admin, as its webhooks are. Apps are moderated (unlisted, taken down, restored) by the
 * admin alone.
 */
const STORE_TABLE: readonly [PrincipalId, Record<StoreAction, boolean>][] = [
  [
    'anonymous',
    {
      'create-key': N,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': N,
      'list-invitations': N,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'alice',
    {
      'create-key': Y,
      'set-member': Y,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': Y,
      'list-org-webhooks': Y,
      'read-org-usage': Y,
      'set-quota': N,
      'set-immutability': Y,
      'moderate-app': N,
    },
  ],
  [
    'alice:read',
    {
      'create-key': N,
      'set-member': N,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': Y,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'alice:install',
    {
      'create-key': N,
      'set-member': N,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': Y,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'alice:push',
    {
      'create-key': Y,
      'set-member': Y,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': Y,
      'list-org-webhooks': Y,
      'read-org-usage': Y,
      'set-quota': N,
      'set-immutability': Y,
      'moderate-app': N,
    },
  ],
  [
    'alice:all',
    {
      'create-key': Y,
      'set-member': Y,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': Y,
      'list-org-webhooks': Y,
      'read-org-usage': Y,
      'set-quota': N,
      'set-immutability': Y,
      'moderate-app': N,
    },
  ],
  [
    'alice:expired',
    {
      'create-key': N,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': N,
      'list-invitations': N,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'alice:revoked',
    {
      'create-key': N,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': N,
      'list-invitations': N,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'bob:push',
    {
      'create-key': Y,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'carol:push',
    {
      'create-key': Y,
      'set-member': N,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'dave:push',
    {
      'create-key': Y,
      'set-member': N,
      'list-members': Y,
      'read-audit': N,
      'run-gc': N,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'eve:push',
    {
      'create-key': N,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': N,
      'list-invitations': N,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'eve',
    {
      'create-key': N,
      'set-member': N,
      'list-members': N,
      'read-audit': N,
      'run-gc': N,
      'read-me': N,
      'list-invitations': N,
      'answer-invitation': N,
      'list-org-invitations': N,
      'list-org-webhooks': N,
      'read-org-usage': N,
      'set-quota': N,
      'set-immutability': N,
      'moderate-app': N,
    },
  ],
  [
    'admin',
    {
      'create-key': Y,
      'set-member': Y,
      'list-members': Y,
      'read-audit': Y,
      'run-gc': Y,
      'read-me': Y,
      'list-invitations': Y,
      'answer-invitation': Y,
      'list-org-invitations': Y,
      'list-org-webhooks': Y,
      'read-org-usage': Y,
      'set-quota': Y,
      'set-immutability': Y,
      'moderate-app': Y,
    },
  ],
];

interface Row {
  principal: PrincipalId;
  action: RegistryAction | StoreAction;
  resource: string;
  expected: 'allow' | 'deny';
}

/** The two tables as flat rows (principal, action, resource, expected) for one setting. */
function rowsFor(anonymousPull: boolean): { registry: Row[]; store: Row[] } {
  const letter: Record<RegistryAction, string> = { pull: 'p', push: 'w', delete: 'd' };
  const registry = REGISTRY_TABLE.flatMap(([principal, resource, off, on]) =>
    REGISTRY_ACTIONS.map((action): Row => ({
      principal,
      action,
      resource,
      expected: (anonymousPull ? on : off).includes(letter[action]) ? 'allow' : 'deny',
    })),
  );
  const store = STORE_TABLE.flatMap(([principal, allowed]) =>
    STORE_ACTIONS.map((action): Row => ({
      principal,
      action,
      resource: STORE_RESOURCE[action],
      expected: allowed[action] ? 'allow' : 'deny',
    })),
  );
  return { registry, store };
}

// ---------------------------------------------------------------------------------------------
// Building the world through the real entry points
// ---------------------------------------------------------------------------------------------

type Credential =
  | { kind: 'anonymous' }
  | { kind: 'session'; token: string }
  | { kind: 'key'; user: string; key: string };
const ANONYMOUS: Credential = { kind: 'anonymous' };
const TAG = '1.0';
/** A manifest nobody pushed: DELETE of it reaches the handler (404) only past the access check. */
const ABSENT_DIGEST = `sha256:${'0'.repeat(64)}`;
const USERS = {
  alice: '+4915112345671',
  bob: '+4915112345672',
  carol: '+4915112345673',
  dave: '+4915112345674',
  eve: '+4915112345675',
  tom: '+4915112345676',
};

const STORE_RESOURCE: Record<StoreAction, string> = {
  'create-key': 'POST /api/v1/keys',
  'set-member': 'PUT /api/v1/orgs/acme/members/tom',
  'list-members': 'GET /api/v1/orgs/acme/members',
  'read-audit': 'GET /api/v1/audit',
  'run-gc': 'POST /api/v1/admin/gc?dryRun=true',
  'read-me': 'GET /api/v1/users/me',
  'list-invitations': 'GET /api/v1/users/me/invitations',
  'answer-invitation': 'POST /api/v1/users/me/invitations/acme/decline',
  'list-org-invitations': 'GET /api/v1/orgs/acme/invitations',
  'list-org-webhooks': 'GET /api/v1/namespaces/acme/webhooks',
  'read-org-usage': 'GET /api/v1/namespaces/acme/usage',
  'set-quota': 'PUT /api/v1/admin/quotas/acme',
  'set-immutability': 'PUT /api/v1/namespaces/acme/immutability',
  'moderate-app': 'POST /api/v1/apps/alice/app-listed/moderation',
};
/**
 * Answers that show a request got past the permission check without changing anything: nobody
 * in the table has an invitation to acme, so one allowed to answer meets 404 not_found.
 */
const PAST_THE_CHECK: Partial<Record<StoreAction, number>> = { 'answer-invitation': 404 };
const STORE_BODY: Partial<Record<StoreAction, object>> = {
  'create-key': { name: 'from-table', scopes: ['read'] },
  'set-member': { role: 'member' },
  'set-quota': { limitBytes: 0, warnBytes: 0 },
  'set-immutability': { versions: false, tagPatterns: [] },
  // Lifting a moderation none is in force: allowed or not, nothing changes.
  'moderate-app': { action: 'restore' },
};

interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

async function api(
  srv: TestServer,
  method: string,
  path: string,
  cred: Credential,
  body?: object,
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (cred.kind === 'session') headers.authorization = `Bearer ${cred.token}`;
  if (cred.kind === 'key') headers.authorization = `Bearer ${cred.key}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, srv.url), {
    method,
    headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function ok(
  srv: TestServer,
  method: string,
  path: string,
  cred: Credential,
  body: object | undefined,
  status: number,
): Promise<Record<string, unknown>> {
  const res = await api(srv, method, path, cred, body);
  if (res.status !== status)
    throw new Error(
      `${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`,
    );
  return res.body;
}

/** The code the log SMS provider wrote for `phone`, newest first. */
function codeFromLog(srv: TestServer, phone: string): string {
  for (const line of [...srv.logs].reverse()) {
    const code = codeInLine(line, phone);
    if (code) return code;
  }
  throw new Error(
    `no verification code for ${phone} in the server log (is APPSHELF_TEST_LOG above "warn"?)`,
  );
}

/** A new user through the real phone login; returns the session token. */
async function signUp(srv: TestServer, name: string, phone: string): Promise<string> {
  await ok(srv, 'POST', '/api/v1/auth/code', ANONYMOUS, { phone }, 202);
  const code = codeFromLog(srv, phone);
  const body = await ok(srv, 'POST', '/api/v1/auth/login', ANONYMOUS, { phone, code, name }, 201);
  return body.token as string;
}

async function newKey(
  srv: TestServer,
  session: string,
  scopes: string[],
  expiresAt?: number,
): Promise<{ id: number; key: string }> {
  const body = await ok(
    srv,
    'POST',
    '/api/v1/keys',
    { kind: 'session', token: session },
    {
      name: `k${scopes.join('-')}`,
      scopes,
      ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
    },
    201,
  );
  return { id: body.id as number, key: body.key as string };
}

interface TokenResult {
  status: number;
  token?: string;
  /** The actions the token's `access` claim grants on the repository. */
  granted: string[];
}

async function registryToken(
  srv: TestServer,
  cred: Credential,
  repository: string,
): Promise<TokenResult> {
  const url = new URL('/v2/token', srv.url);
  url.searchParams.set('service', 'appshelf');
  url.searchParams.set('scope', `repository:${repository}:pull,push,delete`);
  const headers: Record<string, string> = {};
  if (cred.kind === 'key')
    headers.authorization = `Basic ${Buffer.from(`${cred.user}:${cred.key}`).toString('base64')}`;
  const res = await fetch(url, { headers });
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status, granted: [] };
  }
  const { token } = (await res.json()) as { token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    access: { type: string; name: string; actions: string[] }[];
  };
  const granted = claims.access
    .filter((a) => a.type === 'repository' && a.name === repository)
    .flatMap((a) => a.actions);
  return { status: 200, token, granted };
}

/** What a real /v2 request for `action` does with `token`: allow, or refused with status and OCI code. */
async function attempt(
  srv: TestServer,
  repository: string,
  action: RegistryAction,
  token: string | undefined,
): Promise<{ allowed: boolean; status: number; code?: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const [method, path] =
    action === 'pull'
      ? ['HEAD', `/v2/${repository}/manifests/${TAG}`]
      : action === 'push'
        ? ['POST', `/v2/${repository}/blobs/uploads/`]
        : ['DELETE', `/v2/${repository}/manifests/${ABSENT_DIGEST}`];
  const res = await fetch(new URL(path, srv.url), { method, headers, redirect: 'manual' });
  const text = method === 'HEAD' ? '' : await res.text();
  const code = text
    ? (JSON.parse(text) as { errors?: { code: string }[] }).errors?.[0]?.code
    : undefined;
  const allowed =
    action === 'pull'
      ? res.status === 200
      : action === 'push'
        ? res.status === 202
        : res.status === 404 && code === 'MANIFEST_UNKNOWN';
  return { allowed, status: res.status, ...(code ? { code } : {}) };
}

interface World {
  creds: Record<PrincipalId, Credential>;
  /** Registry tokens issued while the dead credentials were alive, per repository. */
  oldTokens: Partial<Record<PrincipalId, Record<Repository, string>>>;
  /** What those tokens could do before their credentials died (for the instant-revocation check). */
  aliveChecks: string[];
  /** The layer blob of each repository's image (for the mount check). */
  layers: Record<Repository, string>;
}

async function buildWorld(srv: TestServer): Promise<World> {
  const sessions: Record<string, string> = {};
  for (const [name, phone] of Object.entries(USERS))
    sessions[name] = await signUp(srv, name, phone);
  const alice: Credential = { kind: 'session', token: sessions.alice! };

  await ok(srv, 'POST', '/api/v1/orgs', alice, { name: 'acme' }, 201);
  await ok(srv, 'PUT', '/api/v1/orgs/acme/members/carol', alice, { role: 'member' }, 202);
  await ok(srv, 'PUT', '/api/v1/orgs/acme/members/dave', alice, { role: 'maintainer' }, 202);
  for (const name of ['carol', 'dave']) {
    const invited: Credential = { kind: 'session', token: sessions[name]! };
    await ok(srv, 'POST', '/api/v1/users/me/invitations/acme/accept', invited, undefined, 200);
  }

  const key = async (
    user: string,
    scopes: string[],
    expiresAt?: number,
  ): Promise<{ kind: 'key'; user: string; key: string; id: number }> => {
    const k = await newKey(srv, sessions[user]!, scopes, expiresAt);
    return { kind: 'key', user, key: k.key, id: k.id };
  };
  // The key that expires goes first, so the wait for it overlaps the rest of the setup.
  const expiresAt = Date.now() + 3000;
  const expiring = await key('alice', ['read', 'install', 'push'], expiresAt);
  const full = await key('alice', ['read', 'install', 'push']);
  const revoking = await key('alice', ['read', 'install', 'push']);
  const creds: Record<PrincipalId, Credential> = {
    anonymous: ANONYMOUS,
    alice,
    'alice:read': await key('alice', ['read']),
    'alice:install': await key('alice', ['install']),
    'alice:push': await key('alice', ['push']),
    'alice:all': full,
    'alice:expired': expiring,
    'alice:revoked': revoking,
    'bob:push': await key('bob', ['push']),
    'carol:push': await key('carol', ['push']),
    'dave:push': await key('dave', ['push']),
    'eve:push': await key('eve', ['push']),
    eve: { kind: 'session', token: sessions.eve! },
    admin: { kind: 'key', user: 'admin', key: ADMIN_KEY },
  };

  // The repositories: an image in each, pushed by alice; then the app rows that give them their state.
  const pusher = new TestRegistryClient(srv.url, { username: 'alice', password: full.key });
  const layers = {} as Record<Repository, string>;
  for (const repository of REPOSITORIES)
    layers[repository] = (await pusher.pushImage(repository, TAG)).blobs[1]!;
  const now = Date.now();
  // `listed` as a SQL literal: both engines read TRUE and FALSE (SQLite binds no booleans).
  const app = (namespace: string, name: string, listed: boolean, n: number) =>
    sqlRun(
      srv.app.store,
      sql`INSERT INTO apps (app_key, namespace, name, display_name, listed, created_at, updated_at)
          VALUES (${String(n).padStart(32, '0')}, ${namespace}, ${name}, ${name},
            ${sql.raw(listed ? 'TRUE' : 'FALSE')}, ${now}, ${now})`,
    );
  await app('alice', 'app-listed', true, 1);
  await app('alice', 'app-unlisted', false, 2);
  await app('acme', 'secret', false, 3);

  // Tokens of the credentials about to die, and proof that they worked while alive.
  const oldTokens: World['oldTokens'] = {};
  const aliveChecks: string[] = [];
  for (const id of ['alice:expired', 'alice:revoked', 'eve:push'] as const) {
    const tokens = {} as Record<Repository, string>;
    for (const repository of REPOSITORIES) {
      const t = await registryToken(srv, creds[id], repository);
      if (!t.token) throw new Error(`${id}: no token while alive (${t.status})`);
      tokens[repository] = t.token;
    }
    oldTokens[id] = tokens;
    const pull = await attempt(srv, 'alice/app-listed', 'pull', tokens['alice/app-listed']);
    const push = await attempt(srv, 'alice/plain', 'push', tokens['alice/plain']);
    aliveChecks.push(
      `${id} pull alice/app-listed ${pull.allowed ? 'allow' : 'deny'}`,
      `${id} push alice/plain ${push.allowed ? 'allow' : 'deny'}`,
    );
  }
  const eveMe = await api(srv, 'GET', '/api/v1/users/me', creds.eve);
  aliveChecks.push(`eve read-me ${eveMe.status === 200 ? 'allow' : 'deny'}`);
  if (Date.now() >= expiresAt)
    throw new Error('setup too slow: the expiring key expired before its tokens were checked');

  // Now they die: a revocation by the owner, a user disabled by the admin, and the clock.
  await ok(srv, 'DELETE', `/api/v1/keys/${revoking.id}`, alice, undefined, 204);
  await ok(srv, 'PATCH', '/api/v1/admin/users/eve', creds.admin, { disabled: true }, 200);
  const wait = expiresAt + 50 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));

  return { creds, oldTokens, aliveChecks, layers };
}

// ---------------------------------------------------------------------------------------------
// Checking rows
// ---------------------------------------------------------------------------------------------

/** Mismatch descriptions for registry rows of one principal (empty: all as the table says). */
async function checkRegistryRows(srv: TestServer, world: World, rows: Row[]): Promise<string[]> {
  const mismatches: string[] = [];
  const byRepo = new Map<string, Row[]>();
  for (const row of rows) byRepo.set(row.resource, [...(byRepo.get(row.resource) ?? []), row]);
  for (const [repository, repoRows] of byRepo) {
    const principal = repoRows[0]!.principal;
    const dead = DEAD.has(principal);
    const fresh = await registryToken(srv, world.creds[principal], repository);
    if (dead && fresh.status !== 401)
      mismatches.push(
        `${principal} ${repository}: the token endpoint answered ${fresh.status} to dead credentials, expected 401`,
      );
    if (!dead && fresh.status !== 200)
      mismatches.push(
        `${principal} ${repository}: the token endpoint answered ${fresh.status}, expected 200`,
      );
    const token = dead ? world.oldTokens[principal]?.[repository as Repository] : fresh.token;
    for (const row of repoRows) {
      const action = row.action as RegistryAction;
      const where = `${principal} ${action} ${repository}`;
      const granted = fresh.granted.includes(action);
      if (granted !== (row.expected === 'allow'))
        mismatches.push(
          `${where}: token grants ${granted ? 'it' : 'no'} ${action}, table says ${row.expected}`,
        );
      const got = await attempt(srv, repository, action, token);
      if (got.allowed !== (row.expected === 'allow')) {
        mismatches.push(
          `${where}: request ${got.allowed ? 'allowed' : 'refused'} (${got.status} ${got.code ?? ''}), table says ${row.expected}`,
        );
        continue;
      }
      if (got.allowed) continue;
      // A refusal: anonymous callers are asked to authenticate, known ones are denied.
      const [status, code] = principal === 'anonymous' ? [401, 'UNAUTHORIZED'] : [403, 'DENIED'];
      if (got.status !== status || (action !== 'pull' && got.code !== code)) {
        mismatches.push(
          `${where}: refused with ${got.status} ${got.code ?? ''}, expected ${status} ${action === 'pull' ? '' : code}`,
        );
      }
    }
  }
  return mismatches;
}

async function checkStoreRows(srv: TestServer, world: World, rows: Row[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const row of rows) {
    const action = row.action as StoreAction;
    const [method, path] = STORE_RESOURCE[action].split(' ') as [string, string];
    const res = await api(srv, method, path, world.creds[row.principal], STORE_BODY[action]);
    const where = `${row.principal} ${STORE_RESOURCE[action]}`;
    const code = (res.body.error as { code?: string } | undefined)?.code;
    const allowed =
      (res.status >= 200 && res.status < 300) ||
      (res.status === PAST_THE_CHECK[action] && code === 'not_found');
    if (allowed !== (row.expected === 'allow')) {
      mismatches.push(
        `${where}: ${res.status} ${JSON.stringify(res.body.error ?? '')}, table says ${row.expected}`,
      );
      continue;
    }
    if (allowed) continue;
    // Dead credentials fail authentication; otherwise 401 (not signed in) or 403 (not allowed).
    const fine = DEAD.has(row.principal)
      ? res.status === 401 && code === 'unauthorized'
      : (res.status === 401 && code === 'unauthorized') ||
        (res.status === 403 && code === 'forbidden');
    if (!fine)
      mismatches.push(
        `${where}: refused with ${res.status} ${code ?? ''}, expected ${DEAD.has(row.principal) ? '401 unauthorized' : '401 or 403'}`,
      );
  }
  return mismatches;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

for (const anonymousPull of [false, true]) {
  describe(`permission table (registry.anonymousPull ${anonymousPull ? 'on' : 'off'})`, function () {
    this.timeout(30_000);
    let srv: TestServer;
    let world: World;
    const { registry, store } = rowsFor(anonymousPull);

    before(async () => {
      // The table tries hundreds of refused credentials from one address: the failed-credential
      // limits (tested in failed-credentials.test.ts) would answer 429 before the rule is reached.
      srv = await startTestServer({
        registry: { anonymousPull },
        auth: { rateLimit: { failuresPerAddress: 0, failuresPerName: 0 } },
      });
      world = await buildWorld(srv);
    });
    after(async () => {
      await srv?.close();
    });

    it('the tables cover every principal, repository and action exactly once', () => {
      const keys = (rows: Row[]) => rows.map((r) => `${r.principal} ${r.action} ${r.resource}`);
      const registryPrincipals = PRINCIPALS.filter((p) => !SESSIONS.has(p));
      expect(new Set(keys(registry)).size).to.equal(registry.length);
      expect(registry).to.have.length(
        registryPrincipals.length * REPOSITORIES.length * REGISTRY_ACTIONS.length,
      );
      expect(new Set(keys(store)).size).to.equal(store.length);
      expect(store).to.have.length(PRINCIPALS.length * STORE_ACTIONS.length);
    });

    it('tokens of the credentials that die worked while they were alive', () => {
      expect(world.aliveChecks).to.deep.equal([
        'alice:expired pull alice/app-listed allow',
        'alice:expired push alice/plain allow',
        'alice:revoked pull alice/app-listed allow',
        'alice:revoked push alice/plain allow',
        'eve:push pull alice/app-listed allow',
        'eve:push push alice/plain deny',
        'eve read-me allow',
      ]);
    });

    for (const principal of PRINCIPALS) {
      it(`${principal}: every row of the table holds`, async () => {
        const mismatches = [
          ...(await checkRegistryRows(
            srv,
            world,
            registry.filter((r) => r.principal === principal),
          )),
          ...(await checkStoreRows(
            srv,
            world,
            store.filter((r) => r.principal === principal),
          )),
        ];
        expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
      });
    }

    it('a cross-repository mount needs pull on the source', async () => {
      // bob pushes into his own namespace, mounting each repository's layer: only what he may pull mounts.
      const bob = world.creds['bob:push'] as { key: string };
      const mismatches: string[] = [];
      for (const source of REPOSITORIES) {
        const url = new URL('/v2/token', srv.url);
        url.searchParams.set('service', 'appshelf');
        url.searchParams.append('scope', 'repository:bob/mounted:pull,push');
        url.searchParams.append('scope', `repository:${source}:pull`);
        const tokenRes = await fetch(url, {
          headers: { authorization: `Basic ${Buffer.from(`bob:${bob.key}`).toString('base64')}` },
        });
        const { token } = (await tokenRes.json()) as { token: string };
        const res = await fetch(
          new URL(
            `/v2/bob/mounted/blobs/uploads/?mount=${world.layers[source]}&from=${source}`,
            srv.url,
          ),
          {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
            redirect: 'manual',
          },
        );
        await res.body?.cancel();
        const mayPull = registry.some(
          (r) =>
            r.principal === 'bob:push' &&
            r.resource === source &&
            r.action === 'pull' &&
            r.expected === 'allow',
        );
        const expected = mayPull ? 201 : 202; // 202: not mounted, an ordinary upload session instead
        if (res.status !== expected)
          mismatches.push(`bob mount from ${source}: ${res.status}, expected ${expected}`);
      }
      expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
    });
  });
}
