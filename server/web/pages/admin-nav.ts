/** What every admin page shares: the admins-only check and the navigation between the pages. */
import type { Request } from 'express';
import { StoreError } from '../../errors.js';
import { signedIn, type WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import type { WebServices } from '../services.js';

const PAGES = [
  ['/admin', 'Overview'],
  ['/admin/users', 'Users'],
  ['/admin/apps', 'Apps'],
  ['/admin/storage', 'Storage'],
  ['/admin/audit', 'Audit log'],
] as const;

/** The signed-in admin, or a 403 for everyone else (the permission decides, not the role). */
export async function requireAdmin(s: WebServices, ctx: WebContext) {
  const me = signedIn(ctx);
  if (!(await s.deps.permissions.admin(me)))
    throw new StoreError('forbidden', 'Only administrators may see this page.');
  return me;
}

export function adminNav(current: (typeof PAGES)[number][0]): SafeHtml {
  return html`<nav class="subnav" aria-label="Administration">${PAGES.map(([href, label]) =>
    href === current
      ? html`<a href="${href}" aria-current="page">${label}</a>`
      : html`<a href="${href}">${label}</a>`,
  )}</nav>`;
}

/** A query parameter as a bounded string ('' when absent or repeated). */
export function queryText(req: Request, name: string, max = 64): string {
  const v = req.query[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}
