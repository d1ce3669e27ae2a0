/**
 * What `appshelf org ...` and `appshelf invitations ...` do: /api/v1/orgs (create, members,
 * PUT and DELETE of a member, invitations) and /api/v1/users/me/invitations (list, accept,
 * decline). The store checks who may do what; the CLI says what happened.
 */
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json, table } from '../format.js';
import type { StoreApi } from '../store-api.js';

const ROLES = ['owner', 'maintainer', 'member'] as const;

interface Member {
  name: string;
  displayName: string;
  role: string;
  public: boolean;
  since: string;
}

interface Invitation {
  org: string;
  orgDisplayName: string;
  user: string;
  role: string;
  invitedBy: string;
  invitedAt: string;
}

interface Org {
  name: string;
  displayName: string;
  kind: 'org';
}

const orgPath = (org: string, rest = '') => `/orgs/${encodeURIComponent(org)}${rest}`;
const memberPath = (org: string, user: string) =>
  orgPath(org, `/members/${encodeURIComponent(user)}`);

function roleOf(text: string): string {
  if (!(ROLES as readonly string[]).includes(text))
    throw usage(`"${text}" is no role`, `use ${ROLES.join(', ')}`);
  return text;
}

async function storeApi(ctx: Context): Promise<StoreApi> {
  return ctx.api(await ctx.store(), 'required');
}

export async function create(
  ctx: Context,
  name: string,
  opts: { displayName?: string; json?: boolean },
): Promise<void> {
  const api = await storeApi(ctx);
  const org = await api.post<Org>('/orgs', {
    body: { name, ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}) },
  });
  if (opts.json) return void ctx.io.out(json(org));
  ctx.io.out(
    `created organisation ${org.name}${org.displayName ? ` (${org.displayName})` : ''}; you are its owner`,
  );
  ctx.io.err(
    `push its apps to ${api.store.host}/${org.name}/<app>; invite with: appshelf org invite ${org.name} <user>`,
  );
}

export async function members(ctx: Context, org: string, opts: { json?: boolean }): Promise<void> {
  const api = await storeApi(ctx);
  const me = await api.get<{ name: string; role: 'admin' | 'user' }>('/users/me');
  const list = (await api.get<{ members: Member[] }>(orgPath(org, '/members'))).members;
  // Owners (and admins) also see who is invited; for anyone else the store says no.
  const owner = me.role === 'admin' || list.some((m) => m.name === me.name && m.role === 'owner');
  const pending = owner
    ? (await api.get<{ invitations: Invitation[] }>(orgPath(org, '/invitations'))).invitations
    : undefined;
  if (opts.json)
    return void ctx.io.out(
      json(pending ? { members: list, invitations: pending } : { members: list }),
    );
  const rows = list.map((m) => [
    m.name,
    m.displayName || '-',
    m.role,
    m.since.slice(0, 10),
    m.public ? 'shown' : 'hidden',
  ]);
  for (const line of table(
    ['MEMBER', 'DISPLAY NAME', 'ROLE', 'SINCE', 'ON THE PUBLISHER PAGE'],
    rows,
  ))
    ctx.io.out(line);
  if (!pending) return;
  if (pending.length === 0) return void ctx.io.out('no invitation is waiting for an answer');
  ctx.io.out('');
  const invited = pending.map((i) => [i.user, i.role, i.invitedBy, i.invitedAt.slice(0, 10)]);
  for (const line of table(['INVITED', 'ROLE', 'BY', 'ON'], invited)) ctx.io.out(line);
}

export async function invite(
  ctx: Context,
  org: string,
  user: string,
  opts: { role: string; json?: boolean },
): Promise<void> {
  const role = roleOf(opts.role);
  const api = await storeApi(ctx);
  // The store's PUT changes the role of someone who is a member already: say so, never hide it.
  const answer = await api.put<{ invitation?: Invitation; members?: Member[] }>(
    memberPath(org, user),
    {
      body: { role },
    },
  );
  if (opts.json) return void ctx.io.out(json(answer));
  if (answer.invitation)
    return void ctx.io.out(
      `invited ${user} to ${org} as ${role}; they join with: appshelf invitations accept ${org}`,
    );
  ctx.io.out(`${user} is a member of ${org} already; their role is now ${role}`);
}

export async function role(
  ctx: Context,
  org: string,
  user: string,
  roleText: string,
  opts: { json?: boolean },
): Promise<void> {
  const role = roleOf(roleText);
  const api = await storeApi(ctx);
  const current = (await api.get<{ members: Member[] }>(orgPath(org, '/members'))).members;
  if (!current.some((m) => m.name === user))
    throw usage(
      `${user} is not a member of ${org}`,
      `invite them: appshelf org invite ${org} ${user} --role ${role}`,
    );
  const answer = await api.put<{ members: Member[] }>(memberPath(org, user), { body: { role } });
  if (opts.json) return void ctx.io.out(json(answer));
  ctx.io.out(`${user} is now ${role} of ${org}`);
}

export async function remove(ctx: Context, org: string, user: string): Promise<void> {
  const api = await storeApi(ctx);
  const me = (await api.get<{ name: string }>('/users/me')).name;
  const invited =
    me !== user &&
    !(await api.get<{ members: Member[] }>(orgPath(org, '/members'))).members.some(
      (m) => m.name === user,
    );
  await api.delete(memberPath(org, user));
  ctx.io.out(
    me === user
      ? `you left ${org}`
      : invited
        ? `withdrew the invitation of ${user} to ${org}`
        : `removed ${user} from ${org}`,
  );
}

export async function invitations(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const api = await storeApi(ctx);
  const list = (await api.get<{ invitations: Invitation[] }>('/users/me/invitations')).invitations;
  if (opts.json) return void ctx.io.out(json(list));
  if (list.length === 0) return void ctx.io.out('no invitation is waiting for your answer');
  const rows = list.map((i) => [
    i.org,
    i.orgDisplayName || '-',
    i.role,
    i.invitedBy,
    i.invitedAt.slice(0, 10),
  ]);
  for (const line of table(['ORGANISATION', 'DISPLAY NAME', 'ROLE', 'INVITED BY', 'ON'], rows))
    ctx.io.out(line);
  ctx.io.err('answer with: appshelf invitations accept <org> (or decline <org>)');
}

export async function answer(ctx: Context, org: string, how: 'accept' | 'decline'): Promise<void> {
  const api = await storeApi(ctx);
  const path = `/users/me/invitations/${encodeURIComponent(org)}/${how}`;
  if (how === 'decline') {
    await api.post<unknown>(path);
    return void ctx.io.out(`declined the invitation to ${org}`);
  }
  const joined = await api.post<{ namespace: string; role: string }>(path);
  ctx.io.out(`joined ${joined.namespace} as ${joined.role}`);
}
