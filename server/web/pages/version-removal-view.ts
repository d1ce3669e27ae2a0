/**
 * The page that asks before a version is deleted and says what else changes: the packages that
 * lose it (one left without a version goes) and the app leaving the shelf when its last package
 * goes. The same answer as the store API's dry run (`DELETE …/versions/{v}?dryRun=true`).
 */
import type { VersionRemoval } from '../../../schemas/version-removal.js';
import { plural } from '../../../schemas/plural.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, renderPage } from '../layout.js';
import { manageAppPath } from './parts.js';
import type { AppRef } from '../../store/version-index.js';

export function renderVersionRemoval(ctx: WebContext, ref: AppRef, plan: VersionRemoval): string {
  const back = manageAppPath(ref);
  const action = manageAppPath(ref, `/versions/${encodeURIComponent(plan.version)}/delete`);
  const body = html`<div class="wrap">
<p class="crumbs"><a href="/my">My store</a> › <a href="${back}"><code>${plan.app}</code></a></p>
<h1>Delete version ${plan.version}?</h1>
<p>Its tag <code>${plan.app}:${plan.version}</code> goes from the registry; installs of it from this store stop working.</p>
<section aria-labelledby="changes-h" class="box"><h2 id="changes-h">What else changes</h2>
${changes(plan)}
</section>
<form method="post" action="${action}" class="actions-row">${csrfField(ctx)}<button type="submit" class="danger">Delete version ${plan.version}</button> <a href="${back}">Keep it</a></form>
</div>`;
  return renderPage(ctx, {
    title: `Delete ${plan.app}:${plan.version}?`,
    description: `What deleting version ${plan.version} of ${plan.app} changes.`,
    noindex: true,
    body,
  });
}

function changes(plan: VersionRemoval): SafeHtml {
  const items: SafeHtml[] = plan.packages.map((p) =>
    p.deleted
      ? html`<li>The package <strong>${p.name}</strong> covers only this version: it is deleted.</li>`
      : html`<li>The package <strong>${p.name}</strong> loses it and keeps ${plural(p.versionsLeft.length, 'version')}: ${p.versionsLeft.join(', ')}.</li>`,
  );
  if (plan.leavesShelf)
    items.push(
      html`<li><strong>The app leaves the shelf</strong>: no package is left, so the marketplace stops showing it until you create one.</li>`,
    );
  return items.length
    ? html`<ul class="consequences">${items}</ul>`
    : html`<p>Nothing else: no package covers this version, and the shelf stays as it is.</p>`;
}
