/**
 * The install box of an app's pages: a version selector (a GET form; the select submits itself
 * when the script runs, a button does without it) and the whole commands for the appshelf CLI,
 * oras and a Rainbond console, each with a copy button that copies the command as shown.
 */
import type { AppView } from '../../store/app-access.js';
import type { VersionView } from '../../store/app-versions.js';
import type { WebContext } from '../context.js';
import { attr, html, type SafeHtml } from '../html.js';

export function installBox(
  ctx: WebContext,
  app: AppView,
  versions: VersionView[],
  chosen: string | undefined,
  action: string,
): SafeHtml {
  const installable = versions.filter((v) => v.state === 'ready');
  const version = installable.find((v) => v.version === chosen)?.version ?? app.latestVersion;
  if (!version || !installable.length)
    return html`<section aria-labelledby="install-h" class="install"><h2 id="install-h">Install</h2><p class="empty">There is no version to install yet.</p></section>`;
  const reference = `${ctx.host}/${app.namespace}/${app.name}:${version}`;
  return html`<section aria-labelledby="install-h" class="install"><h2 id="install-h">Install</h2>
<form method="get" action="${action}" class="version-pick">
<label for="install-version">Version</label>
<select id="install-version" name="version" data-autosubmit>${installable.map((v) => html`<option value="${v.version}"${attr('selected', v.version === version)}>${v.version}${v.version === app.latestVersion ? ' (latest)' : ''}</option>`)}</select>
<button type="submit" class="secondary" data-noscript-only>Show</button>
</form>
<h3 class="small">With the appshelf command</h3>
${copyable(`appshelf install ${reference}`, 'cli')}
<h3 class="small">With oras</h3>
${copyable(`oras pull ${reference}`, 'oras')}
<h3 class="small">Reference</h3>
${copyable(reference, 'ref')}
<h3 class="small">From a Rainbond console</h3>
<ol class="steps">
<li>In the console open <em>Platform management → App market</em> and add a store.</li>
<li>Enter the store’s address: ${copyable(ctx.baseUrl, 'store-url')}</li>
<li>Sign in when the console asks, and allow it an access key (the <em>read</em> and <em>install</em> scopes are enough).</li>
<li>Find <strong>${app.displayName || app.name}</strong> in that market and install version ${version}.</li>
</ol>
</section>`;
}

/** A command in a block that scrolls sideways rather than breaking inside a word. */
export function copyable(text: string, id: string): SafeHtml {
  return html`<div class="copy-row"><pre class="copy-text" tabindex="0"><code id="copy-${id}">${text}</code></pre><button type="button" class="copy" data-copy="copy-${id}" aria-describedby="copy-${id}" hidden>Copy</button></div>`;
}
