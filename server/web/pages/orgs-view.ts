/**
 * What the organisation pages of My store show: the list of one's organisations with the form
 * that creates one, and an organisation's members with their roles, its pending invitations and
 * (for owners) the forms that invite, change a role, remove and withdraw. Rendering only; the
 * routes (orgs.ts) call the Organisations service.
 */
import { NAMESPACE_MAX, NAMESPACE_NAME_RULE } from '../../../schemas/names.js';
import type { InvitationView } from '../../accounts/invitations.js';
import { MEMBER_ROLES, type MemberRole } from '../../accounts/namespaces.js';
import type { OrgMember, OrgProfileChange, OrgView } from '../../accounts/organisations.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { day } from './parts.js';

/** The notices after a change (`?done=...`), Post/Redirect/Get. */
export const ORG_DONE: Record<string, string> = {
  created: 'The organisation is created; you are its owner.',
  invited: 'The invitation is sent: they join when they accept it on their My store page.',
  'role-changed': 'The role is changed.',
  removed: 'The member is removed.',
  withdrawn: 'The invitation is withdrawn.',
  left: 'You left the organisation.',
  shown: 'Your membership shows on the publisher page.',
  hidden: 'Your membership is hidden from the publisher page.',
  profile: 'The profile is saved.',
  logo: 'The logo is changed.',
  'logo-removed': 'The logo is removed.',
};

/** What each role may do (permissions.ts), shown beside the role selects. */
export const ROLE_HELP: Record<MemberRole, string> = {
  owner: 'everything, and manages members, webhooks and rules',
  maintainer: 'pushes, and changes and deletes apps',
  member: 'sees and pushes',
};

export function orgPath(org: string, rest = ''): string {
  return `/my/orgs/${encodeURIComponent(org)}${rest}`;
}

export function subnav(current: 'apps' | 'orgs'): SafeHtml {
  const here = (k: string) => (k === current ? html` aria-current="page"` : '');
  return html`<nav class="subnav" aria-label="My store"><a href="/my"${here('apps')}>Apps</a><a href="/my/orgs"${here('orgs')}>Organisations</a><a href="/my/keys">Access keys</a><a href="/my/profile">Profile</a></nav>`;
}

/** The form that creates an organisation, with what the user typed after an error. */
export function createOrgForm(
  ctx: WebContext,
  typed: { name?: string; displayName?: string },
): SafeHtml {
  return html`<section aria-labelledby="new-org-h" class="box"><h2 id="new-org-h">New organisation</h2>
<form method="post" action="/my/orgs" class="stack">${csrfField(ctx)}
<label for="org-name">Name</label>
<input id="org-name" name="name" required maxlength="${NAMESPACE_MAX}" value="${typed.name ?? ''}" aria-describedby="org-name-help" autocomplete="off" autocapitalize="none" spellcheck="false">
<p id="org-name-help" class="help">Its namespace: ${NAMESPACE_NAME_RULE}. Apps are pushed to <code>${ctx.host}/&lt;name&gt;/&lt;app&gt;</code>; the name cannot change later.</p>
<label for="org-display">Display name <span class="muted">(optional)</span></label>
<input id="org-display" name="displayName" maxlength="64" value="${typed.displayName ?? ''}">
<div class="buttons"><button type="submit">Create organisation</button></div>
</form></section>`;
}

export function orgList(orgs: (OrgView & { role: MemberRole })[]): SafeHtml {
  if (orgs.length === 0)
    return html`<p class="empty">You belong to no organisation yet. Create one below, or accept an invitation on <a href="/my">My store</a>.</p>`;
  return html`<ul class="org-list">${orgs.map(
    (o) =>
      html`<li><a href="${orgPath(o.name)}"><strong>${o.displayName || o.name}</strong></a> <code>${o.name}</code> <span class="muted small">(${o.role})</span></li>`,
  )}</ul>`;
}

function roleSelect(id: string, selected: MemberRole): SafeHtml {
  return html`<select id="${id}" name="role">${MEMBER_ROLES.map(
    (r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${r}</option>`,
  )}</select>`;
}

/** The members table; owners get a role select and a remove button per member. */
export function membersTable(
  ctx: WebContext,
  org: string,
  members: OrgMember[],
  manages: boolean,
): SafeHtml {
  const me = ctx.user?.name;
  return html`<div class="table-scroll"><table class="data members"><thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Since</th>${manages ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
<tbody>${members.map((m, i) => {
    const path = orgPath(org, `/members/${encodeURIComponent(m.name)}`);
    const who = html`<a href="/publishers/${encodeURIComponent(m.name)}">${m.displayName || m.name}</a>${m.displayName ? html` <code>${m.name}</code>` : ''}${m.name === me ? html` <span class="muted small">(you)</span>` : ''}`;
    if (!manages)
      return html`<tr data-member="${m.name}"><td>${who}${m.public ? '' : html` <span class="muted small">(hidden)</span>`}</td><td>${m.role}</td><td>${day(m.since)}</td></tr>`;
    return html`<tr data-member="${m.name}"><td>${who}${m.public ? '' : html` <span class="muted small">(hidden)</span>`}</td>
<td><form method="post" action="${path}/role" class="inline">${csrfField(ctx)}<label for="role-${i}" class="visually-hidden">Role of ${m.name}</label>${roleSelect(`role-${i}`, m.role)} <button type="submit" class="small secondary">Change<span class="visually-hidden"> the role of ${m.name}</span></button></form></td>
<td>${day(m.since)}</td>
<td class="actions"><form method="post" action="${path}/remove" class="inline" data-confirm="${m.name === me ? `Leave ${org}?` : `Remove ${m.name} from ${org}?`}">${csrfField(ctx)}<button type="submit" class="small danger">${m.name === me ? 'Leave' : html`Remove<span class="visually-hidden"> ${m.name}</span>`}</button></form></td></tr>`;
  })}</tbody></table></div>
<p class="help">${MEMBER_ROLES.map((r, i) => html`${i ? ' · ' : ''}<strong>${r}</strong>: ${ROLE_HELP[r]}`)}. An organisation keeps at least one owner.</p>`;
}

/** The signed-in member's own choice: whether their membership shows on the publisher page. */
export function visibilityForm(
  ctx: WebContext,
  org: string,
  mine: OrgMember | undefined,
): SafeHtml {
  if (!mine || !ctx.user) return html``;
  const path = orgPath(org, `/members/${encodeURIComponent(mine.name)}/visibility`);
  return html`<form method="post" action="${path}" class="visibility">${csrfField(ctx)}<input type="hidden" name="public" value="${mine.public ? 'false' : 'true'}">
<p>${mine.public ? 'Your membership shows on the publisher page of ' : 'Your membership is hidden from the publisher page of '}<a href="/publishers/${encodeURIComponent(org)}">${org}</a>. <button type="submit" class="small secondary">${mine.public ? 'Hide it' : 'Show it'}</button></p>
<p class="help">Each member decides this alone; members are hidden until they choose to show.</p></form>`;
}

/** The invite form (a user name and a role) and the invitations waiting for an answer. */
export function invitationsBox(
  ctx: WebContext,
  org: string,
  pending: InvitationView[],
  typed: { user?: string; role?: string },
): SafeHtml {
  const role = (MEMBER_ROLES as readonly string[]).includes(typed.role ?? '')
    ? (typed.role as MemberRole)
    : 'member';
  return html`<section aria-labelledby="invite-h" class="box"><h2 id="invite-h">Invite someone</h2>
<form method="post" action="${orgPath(org, '/invitations')}" class="stack inline-fields">${csrfField(ctx)}
<div><label for="invite-user">User name</label><input id="invite-user" name="user" required value="${typed.user ?? ''}" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
<div><label for="invite-role">Role</label>${roleSelect('invite-role', role)}</div>
<button type="submit">Invite</button>
</form>
<p class="help">They see the invitation on their My store page (or with <code>appshelf invitations</code>) and join when they accept it.</p>
<h3>Waiting for an answer</h3>
${
  pending.length
    ? html`<ul class="invitations">${pending.map(
        (i) =>
          html`<li data-invited="${i.user}"><strong>${i.user}</strong> as ${i.role} <span class="muted small">(invited by ${i.invitedBy}, ${day(i.invitedAt)})</span>
<form method="post" action="${orgPath(org, `/invitations/${encodeURIComponent(i.user)}/withdraw`)}" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">Withdraw<span class="visually-hidden"> the invitation of ${i.user}</span></button></form></li>`,
      )}</ul>`
    : html`<p class="empty">No invitation is waiting.</p>`
}
</section>`;
}

/** An organisation's members on its publisher page: those who show their membership. */
export function orgMembersSection(
  ctx: WebContext,
  org: string,
  shown: OrgMember[],
  isMember: boolean,
): SafeHtml {
  const list = shown.length
    ? html`<ul class="org-members">${shown.map(
        (m) =>
          html`<li><a href="/publishers/${encodeURIComponent(m.name)}"><span class="avatar avatar-letter small" aria-hidden="true">${(m.displayName || m.name).slice(0, 1).toUpperCase()}</span>${m.displayName || m.name}</a> <span class="muted small">${m.role}</span></li>`,
      )}</ul>`
    : html`<p class="empty">No member shows their membership yet.</p>`;
  return html`<section aria-labelledby="members-h"><h2 id="members-h">Members</h2>
${list}
${isMember && ctx.user ? html`<p class="actions"><a href="${orgPath(org)}">All members and roles</a></p>` : ''}
</section>`;
}

/** The owners' form for what the publisher page shows: display name, about, website, logo. */
export function orgProfileBox(
  ctx: WebContext,
  org: OrgView,
  typed: Record<string, string> | undefined,
): SafeHtml {
  const d: Required<OrgProfileChange> = {
    displayName: typed?.displayName ?? org.displayName,
    about: typed?.about ?? org.about,
    website: typed?.website ?? org.website,
  };
  return html`<section aria-labelledby="profile-h" class="box"><h2 id="profile-h">Profile</h2>
<p class="help">What <a href="/publishers/${encodeURIComponent(org.name)}">the publisher page</a> shows of ${org.name}.</p>
<form method="post" action="${orgPath(org.name, '/profile')}" class="stack">${csrfField(ctx)}
<label for="org-displayName">Display name</label><input id="org-displayName" name="displayName" maxlength="64" value="${d.displayName}">
<label for="org-about">About</label><textarea id="org-about" name="about" rows="4" maxlength="500">${d.about}</textarea>
<label for="org-website">Website</label><input id="org-website" name="website" type="url" value="${d.website}" placeholder="https://">
<div class="buttons"><button type="submit">Save profile</button></div>
</form>
<h3>Logo</h3>
${org.logoUrl ? html`<p><img class="avatar org-logo" src="${org.logoUrl}" alt="The logo of ${org.name}" width="96" height="96"></p>` : ''}
<form method="post" action="${orgPath(org.name, '/logo')}" enctype="multipart/form-data" class="stack">${csrfField(ctx)}
<label for="org-logo">Image (PNG or JPEG, at most 512 KiB)</label><input id="org-logo" name="logo" type="file" accept="image/png,image/jpeg" required>
<div class="buttons"><button type="submit">Upload logo</button></div>
</form>
${org.logoUrl ? html`<form method="post" action="${orgPath(org.name, '/logo/remove')}" class="buttons">${csrfField(ctx)}<button type="submit" class="secondary small">Remove the logo</button></form>` : ''}
</section>`;
}

/** A user's publisher page: the organisations they show they belong to. */
export function userOrgsSection(orgs: { name: string; displayName: string }[]): SafeHtml {
  if (orgs.length === 0) return html``;
  return html`<section aria-labelledby="orgs-h"><h2 id="orgs-h">Organisations</h2>
<ul class="org-members">${orgs.map(
    (o) =>
      html`<li><a href="/publishers/${encodeURIComponent(o.name)}"><span class="avatar avatar-letter small" aria-hidden="true">${(o.displayName || o.name).slice(0, 1).toUpperCase()}</span>${o.displayName || o.name}</a></li>`,
  )}</ul>
</section>`;
}
