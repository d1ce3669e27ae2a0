/** My store: invitations to organisations, and the signed-in user's apps in every namespace they belong to, listed or not, with drafts and sync jobs. */
import type { Router } from 'express';
import { z } from 'zod';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import type { VersionView } from '../../store/app-versions.js';
import type { PublisherApp } from '../../store/publishers.js';
import { signedIn, type WebContext } from '../context.js';
import { field, formOf } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import { APP_NAME, APP_NAME_MAX, APP_NAME_RULE } from '../../../schemas/names.js';
import type { WebServices } from '../services.js';
import { INVITATION_DONE, invitationsSection } from './invitations.js';
import { plural } from '../../../schemas/plural.js';
import { appPath, count, day, logo, manageAppPath, notListed } from './parts.js';
import { namespaceWebhooksPath } from './webhooks.js';
import { namespaceRulesPath } from './rules.js';
import { orgPath } from './orgs-view.js';
import { formatBytes } from '../../governance/quotas.js';

const AppName = z
  .string()
  .min(1, 'a name is needed')
  .max(APP_NAME_MAX, `use ${APP_NAME_RULE}`)
  .regex(APP_NAME, `use ${APP_NAME_RULE}`);

interface MyApp {
  app: PublisherApp;
  versions: VersionView[];
  jobs: { version: string; state: string; progress: string; error: string | null }[];
}

export function myStoreRoutes(router: Router, s: WebServices): void {
  const render = async (
    ctx: WebContext,
    state: { error?: string; done?: string; namespace?: string; name?: string } = {},
  ): Promise<string> => {
    const me = signedIn(ctx);
    const invitations = (await s.deps.permissions.ownInvitations(me, 'read'))
      ? await s.deps.accounts.invitations.forUser(me.userId)
      : [];
    const memberships = await s.deps.accounts.namespaces.membershipsOf(me.userId);
    const groups = [];
    for (const m of memberships) {
      const apps: MyApp[] = [];
      for (const app of (await s.publishers.page(me, m.namespace)).apps) {
        const ref = { namespace: app.namespace, name: app.name };
        const versions = await s.versions.list(me, ref);
        apps.push({ app, versions, jobs: await jobsOf(s, me, ref, versions) });
      }
      const usage = await usageOf(s, me, m.namespace);
      groups.push({ namespace: m.namespace, kind: m.kind, role: m.role, apps, usage });
    }
    const manageable = memberships.filter((m) => m.role !== 'member').map((m) => m.namespace);
    const links = await Promise.all(groups.map((g) => namespaceLinks(s, me, g.namespace)));
    const body = html`<div class="wrap my-store">
<h1>My store</h1>
<nav class="subnav" aria-label="My store"><a href="/my" aria-current="page">Apps</a><a href="/my/orgs">Organisations</a><a href="/my/keys">Access keys</a><a href="/my/profile">Profile</a></nav>
${notice(state.error, 'error')}${notice(state.done)}
${invitationsSection(ctx, invitations)}
${groups.map(
  (
    g,
    i,
  ) => html`<section aria-labelledby="ns-${g.namespace}"><h2 id="ns-${g.namespace}">${g.namespace} <span class="muted small">(${g.role})</span></h2>
${g.kind === 'org' ? html`<p class="actions"><a href="${orgPath(g.namespace)}">Members of ${g.namespace}</a></p>` : ''}
${links[i]}
${g.usage}
${g.apps.length ? html`<ul class="my-apps">${g.apps.map((a) => myApp(a))}</ul>` : html`<p class="empty">No apps in ${g.namespace} yet. Push one with <code>appshelf push</code>, oras or skopeo, or create it below.</p>`}
</section>`,
)}
${
  manageable.length
    ? html`<section aria-labelledby="new-h" class="box"><h2 id="new-h">New app</h2>
<form method="post" action="/my/apps" class="stack inline-fields">${csrfField(ctx)}
<div><label for="new-ns">Namespace</label><select id="new-ns" name="namespace">${manageable.map((n) => html`<option${n === state.namespace ? html` selected` : ''}>${n}</option>`)}</select></div>
<div><label for="new-name">Name</label><input id="new-name" name="name" required value="${state.name ?? ''}" aria-describedby="new-name-help" pattern="[a-z0-9._-]+"></div>
<button type="submit">Create</button>
</form><p id="new-name-help" class="help">The repository name: ${APP_NAME_RULE}. The app’s versions are pushed to it.</p></section>`
    : ''
}
</div>`;
    return renderPage(ctx, {
      title: 'My store',
      description: 'Your apps, drafts and sync jobs.',
      noindex: true,
      body,
    });
  };

  router.get('/my', async (req, res) => {
    const done = typeof req.query.done === 'string' ? INVITATION_DONE[req.query.done] : undefined;
    res.set('Cache-Control', 'no-store').send(await render(res.locals.web, done ? { done } : {}));
  });

  router.post('/my/apps', async (req, res) => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const form = formOf(req);
    const namespace = field(form, 'namespace');
    const name = AppName.safeParse(field(form, 'name').trim());
    try {
      if (!name.success)
        throw new StoreError('invalid', `Name: ${name.error.issues[0]?.message ?? 'not valid'}`);
      await s.apps.create(
        { principal: me, address: addressOf(req) },
        { namespace, name: name.data },
        {},
      );
      res.redirect(303, `${manageAppPath({ namespace, name: name.data })}?done=created`);
    } catch (err) {
      if (!(err instanceof StoreError) || err.status >= 500) throw err;
      res
        .status(err.status)
        .send(await render(ctx, { error: err.message, namespace, name: field(form, 'name') }));
    }
  });
}

/** The namespace's own pages its owners see: webhooks, and the immutability and retention rules. */
async function namespaceLinks(
  s: WebServices,
  me: WebContext['principal'],
  namespace: string,
): Promise<SafeHtml | ''> {
  const links = [
    ...((await s.deps.webhooks?.mayManage(me, namespace))
      ? [html`<a href="${namespaceWebhooksPath(namespace)}">Webhooks of ${namespace}</a>`]
      : []),
    ...((await s.deps.rules?.mayGovern(me, namespace))
      ? [html`<a href="${namespaceRulesPath(namespace)}">Rules of ${namespace}</a>`]
      : []),
  ];
  if (!links.length) return '';
  return html`<p class="actions">${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}</p>`;
}

/** The namespace's storage against its quota, for its owners (permissions.ts `view-usage`). */
async function usageOf(
  s: WebServices,
  me: WebContext['principal'],
  namespace: string,
): Promise<SafeHtml | ''> {
  const quotas = s.deps.quotas;
  if (!quotas || !(await s.deps.permissions.namespace(me, namespace, 'view-usage'))) return '';
  const u = await quotas.usage(namespace);
  const limit = u.limitBytes
    ? html` of <span data-limit>${formatBytes(u.limitBytes)}</span>`
    : html` (no quota)`;
  const warn = u.warnBytes ? html`; warning at ${formatBytes(u.warnBytes)}` : '';
  const meter = u.limitBytes
    ? html` <meter min="0" max="${u.limitBytes}" value="${Math.min(u.usedBytes, u.limitBytes)}"${u.warnBytes ? html` high="${u.warnBytes}"` : ''}></meter>`
    : '';
  return html`<p class="usage" data-namespace="${namespace}">Storage: <span data-used>${formatBytes(u.usedBytes)}</span> used${limit}${warn}${meter}</p>`;
}

async function jobsOf(
  s: WebServices,
  me: WebContext['principal'],
  ref: { namespace: string; name: string },
  versions: VersionView[],
): Promise<MyApp['jobs']> {
  const sync = s.deps.sync;
  if (!sync) return [];
  const jobs: MyApp['jobs'] = [];
  for (const v of versions) {
    if (v.state !== 'syncing' && v.state !== 'failed') continue;
    try {
      const job = await sync.status(me, { ...ref, version: v.version });
      jobs.push({
        version: v.version,
        state: job.state,
        progress: `${job.progress.done}/${job.progress.total}`,
        error: job.error?.message ?? null,
      });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }
  return jobs;
}

function myApp({ app, versions, jobs }: MyApp): SafeHtml {
  const drafts = versions.filter((v) => v.state === 'draft');
  return html`<li class="my-app">
${logo(app)}
<div class="my-app-body">
<h3><a href="${manageAppPath(app)}">${app.displayName || app.name}</a></h3>
<p class="muted"><code>${app.namespace}/${app.name}</code> · ${app.onShelf ? html`<span class="badge ok">on the shelf</span>` : notListed(app.namespace)} · ${plural(versions.length, 'version')}${app.latestVersion ? ` (latest ${app.latestVersion})` : ''} · ${plural(app.installs, 'install', 'installs', count)} · ${plural(app.visits, 'visit', 'visits', count)} · updated ${day(app.updatedAt)}</p>
${drafts.length ? html`<p>Drafts: ${drafts.map((d, i) => html`${i ? ', ' : ''}<strong>${d.version}</strong>`)} — <a href="${manageAppPath(app)}#versions-h">publish</a></p>` : ''}
${jobs.length ? html`<ul class="jobs">${jobs.map((j) => html`<li>Sync of ${j.version}: <strong>${j.state}</strong> (${j.progress} components)${j.error ? html` — ${j.error}` : ''}</li>`)}</ul>` : ''}
<p class="actions"><a href="${manageAppPath(app)}">Edit</a>${app.onShelf ? html` · <a href="${appPath(app)}">View in the marketplace</a>` : html` · <a href="${appPath(app)}">Preview its page</a>`}</p>
</div>
</li>`;
}
