/**
 * A version's image sync as it runs (issue 16 §2): each component's source, state and bytes,
 * and the whole as a progress bar. The page is whole without script (reload it to see more);
 * with it, `static/app.js` reads the store API's `GET …/versions/{v}/sync` about once a second
 * (the `data-live-sync` URL) and updates the bar, the states and the bytes until the job ends.
 */
import type { ComponentSync, SyncJobView } from '../../../schemas/sync.js';
import { formatBytes } from '../../governance/quotas.js';
import type { AppRef } from '../../store/version-index.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import { appPath, manageAppPath } from './parts.js';

const STATE_TEXT: Record<SyncJobView['state'], string> = {
  pending: 'waiting to start',
  copying: 'copying',
  done: 'done: the version is ready to install',
  failed: 'failed',
};

export function renderSyncPage(ctx: WebContext, ref: AppRef, job: SyncJobView): string {
  const name = `${ref.namespace}/${ref.name}`;
  const api = `/api/v1/apps/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}/versions/${encodeURIComponent(job.version)}/sync`;
  const { done, total } = bytesOf(job.components);
  const body = html`<div class="wrap sync" data-live-sync="${api}">
<p class="crumbs"><a href="/my">My store</a> › <a href="${manageAppPath(ref)}"><code>${name}</code></a></p>
<h1>Publishing ${name}:${job.version}</h1>
<p>The component images are copied into the store, then the version is written. State: <strong data-sync-state>${STATE_TEXT[job.state]}</strong></p>
<p><label for="sync-bar">Copied</label> <progress id="sync-bar" max="${Math.max(total, 1)}" value="${done}">${percent(done, total)}</progress> <span data-sync-bytes>${bytesText(done, total)}</span></p>
<p role="status" data-sync-outcome>${outcome(ref, job)}</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Components"><table class="data sync-components"><thead><tr><th scope="col">Component</th><th scope="col">Source image</th><th scope="col">State</th><th scope="col">Copied</th></tr></thead>
<tbody>${job.components.map(
    (c) =>
      html`<tr data-key="${c.serviceKey}"><th scope="row"><code>${c.serviceKey.slice(0, 12)}</code></th><td><code>${c.source}</code></td><td data-state>${c.state}${c.error ? html`: ${c.error.message}` : ''}</td><td data-bytes>${bytesText(c.bytesDone, c.bytesTotal)}</td></tr>`,
  )}</tbody></table></div>
<noscript><p><a href="">Reload</a> to see how far it got.</p></noscript>
</div>`;
  return renderPage(ctx, {
    title: `Publishing ${name}:${job.version}`,
    description: `The image sync of ${name}:${job.version}.`,
    noindex: true,
    body,
  });
}

function outcome(ref: AppRef, job: SyncJobView): SafeHtml | string {
  if (job.state === 'done')
    return html`Published. <a href="${appPath(ref)}">See the app’s page</a>.`;
  if (job.state === 'failed')
    return html`${job.error?.message ?? 'The sync failed.'} <a href="${manageAppPath(ref)}">Back to the app</a> to publish it again.`;
  return '';
}

function bytesOf(components: ComponentSync[]): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const c of components) {
    done += c.bytesDone;
    total += c.bytesTotal;
  }
  return { done, total };
}

function bytesText(done: number, total: number): string {
  return total ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
}

function percent(done: number, total: number): string {
  return total ? `${Math.floor((done / total) * 100)} %` : '0 %';
}
