/**
 * The sections of a namespace's rules page (rules.ts): the immutability form, the retention form,
 * the dry run and run buttons, a dry run's plan (what would go and why, what stays and why, listed
 * and packaged versions flagged) and the latest run (what went, bytes freed).
 */
import { plural } from '../../../schemas/plural.js';
import type {
  ImmutabilityRules,
  RetentionReport,
  RetentionRules,
} from '../../../schemas/governance.js';
import type { LastRun } from '../../governance/namespace-rules.js';
import { formatBytes } from '../../governance/quotas.js';
import type { WebContext } from '../context.js';
import { field, splitList, type Fields } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { dateTime } from './parts.js';

export const RULES_DONE: Record<string, string> = {
  'immutability-saved': 'The immutability rules are saved.',
  'retention-saved': 'The retention rules are saved.',
  ran: 'The retention rules ran: see the latest run below.',
};

/** The immutability form's fields as the API's body (validated with ImmutabilityRules). */
export function immutabilityOf(form: Fields): unknown {
  return {
    versions: field(form, 'versions') === 'on',
    tagPatterns: splitList(field(form, 'tagPatterns')),
  } satisfies Record<keyof ImmutabilityRules, unknown>;
}

/** The retention form's fields as the API's body: an empty box is no rule (null). */
export function retentionOf(form: Fields): unknown {
  const count = (name: string): number | null => {
    const text = field(form, name).trim();
    return text === '' ? null : Number(text);
  };
  return {
    keepNewest: count('keepNewest'),
    keepPulledDays: count('keepPulledDays'),
    untaggedHours: count('untaggedHours'),
  } satisfies Record<keyof RetentionRules, unknown>;
}

/** Stored immutability rules as the form's fields (what immutabilityOf reads back). */
export function immutabilityFields(rules: ImmutabilityRules): Fields {
  return { versions: rules.versions ? 'on' : '', tagPatterns: rules.tagPatterns.join(', ') };
}

/** Stored retention rules as the form's fields (what retentionOf reads back). */
export function retentionFields(rules: RetentionRules): Fields {
  const text = (n: number | null) => (n === null ? '' : String(n));
  return {
    keepNewest: text(rules.keepNewest),
    keepPulledDays: text(rules.keepPulledDays),
    untaggedHours: text(rules.untaggedHours),
  };
}

/** `shown`: the stored rules as fields, or what was typed into a refused form. */
export function immutabilitySection(ctx: WebContext, base: string, shown: Fields): SafeHtml {
  return html`<section aria-labelledby="immutability-h" class="box"><h2 id="immutability-h">Immutable versions and tags</h2>
<p class="help">A fixed tag cannot be moved, overwritten or deleted: a push onto it is refused with <code>DENIED</code>. An owner may still republish one explicitly (<code>appshelf push --force</code>, <code>?force=true</code>), which is audited.</p>
<form method="post" action="${base}/immutability" class="stack">${csrfField(ctx)}
<label class="check"><input type="checkbox" name="versions" id="imm-versions"${field(shown, 'versions') === 'on' ? html` checked` : ''}> Published app versions are immutable</label>
<label for="imm-patterns">Tag patterns</label><input id="imm-patterns" name="tagPatterns" value="${field(shown, 'tagPatterns')}" aria-describedby="imm-patterns-help" maxlength="4200">
<p id="imm-patterns-help" class="help">Tags of any repository of the namespace that match one of these globs (<code>*</code>, <code>?</code>) are fixed too, e.g. <code>v*, release-?</code>. Separate them with commas.</p>
<div class="buttons"><button type="submit">Save the immutability rules</button></div>
</form></section>`;
}

export function retentionSection(ctx: WebContext, base: string, shown: Fields): SafeHtml {
  const box = (name: keyof RetentionRules, label: string, help: string, max: number) =>
    html`<label for="ret-${name}">${label}</label><input id="ret-${name}" name="${name}" type="number" min="1" max="${max}" step="1" inputmode="numeric" value="${field(shown, name)}" aria-describedby="ret-${name}-help"><p id="ret-${name}-help" class="help">${help}</p>`;
  return html`<section aria-labelledby="retention-h" class="box"><h2 id="retention-h">Retention</h2>
<p class="help">Which app versions and untagged manifests a run removes. A version stays when any rule keeps it, and always when it is the one a listed app shows, inside a package, still syncing or immutable. Leave a box empty for no such rule; with neither version rule, no version goes.</p>
<form method="post" action="${base}/retention" class="stack">${csrfField(ctx)}
${box('keepNewest', 'Keep the newest versions', 'How many of each app’s newest versions stay (semver order, else push time).', 100_000)}
${box('keepPulledDays', 'Keep versions used in the last days', 'Versions pushed, pulled or installed within this many days stay.', 36_500)}
${box('untaggedHours', 'Remove untagged manifests after hours', 'Manifests no tag points at go once they are this many hours old (at least 1).', 876_000)}
<div class="buttons"><button type="submit">Save the retention rules</button></div>
</form>
<h3>Run the rules</h3>
<p class="help">A dry run lists what would go and why the rest stays, and changes nothing. Run now removes it (immutable versions stay) and then frees the bytes.</p>
<div class="buttons">
<form method="get" action="${base}" class="inline"><input type="hidden" name="plan" value="dry"><button type="submit" class="secondary">Dry run</button></form>
<form method="post" action="${base}/run" class="inline" data-confirm="Remove now what the retention rules say should go?">${csrfField(ctx)}<button type="submit" class="danger">Run now</button></form>
</div>
</section>`;
}

export function planSection(report: RetentionReport): SafeHtml {
  const removed = report.removed.length + report.untagged.length;
  return html`<section aria-labelledby="plan-h" class="box plan"><h2 id="plan-h">Dry run: what would go</h2>
<p>${removed ? `${plural(report.removed.length, 'version')} and ${plural(report.untagged.length, 'untagged manifest')} would be removed.` : 'Nothing would be removed.'} Nothing has changed yet.</p>
${
  report.removed.length
    ? html`<div class="table-scroll"><table class="data plan-removed"><caption>Versions that would go</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Why</th><th scope="col">Digest</th></tr></thead>
<tbody>${report.removed.map((r) => html`<tr><th scope="row"><code>${r.repository}:${r.version}</code></th><td>${r.reason}${r.forced ? html` <span class="badge">forced past: ${r.forced}</span>` : ''}</td><td><code class="small">${r.digest.slice(0, 19)}</code></td></tr>`)}</tbody></table></div>`
    : ''
}
${
  report.untagged.length
    ? html`<div class="table-scroll"><table class="data plan-untagged"><caption>Untagged manifests that would go</caption>
<thead><tr><th scope="col">Manifest</th><th scope="col">Why</th></tr></thead>
<tbody>${report.untagged.map((m) => html`<tr><th scope="row"><code>${m.repository}@${m.digest.slice(0, 19)}</code></th><td>${m.reason}</td></tr>`)}</tbody></table></div>`
    : ''
}
${
  report.kept.length
    ? html`<div class="table-scroll"><table class="data plan-kept"><caption>Versions that stay</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Why it stays</th></tr></thead>
<tbody>${report.kept.map((k) => html`<tr><th scope="row"><code>${k.repository}:${k.version}</code></th><td>${k.kept.map((why, i) => html`${i ? ' ' : ''}${flagged(why) ? html`<span class="badge ok">${why}</span>` : html`<span class="badge">${why}</span>`}`)}</td></tr>`)}</tbody></table></div>`
    : ''
}
</section>`;
}

/** The reasons the issue asks to stand out: what installers see (listed) or get (a package). */
function flagged(reason: string): boolean {
  return reason === 'listed' || reason.startsWith('in package ');
}

export function lastRunSection(run: LastRun | undefined): SafeHtml {
  if (!run) return html``;
  return html`<section aria-labelledby="last-run-h" class="box last-run"><h2 id="last-run-h">Latest run</h2>
<p>By ${run.actor}, <time datetime="${run.at}">${dateTime(run.at)}</time>${run.force ? ' (forced past immutability)' : ''}: <strong data-removed>${plural(run.removed, 'version')}</strong> and <strong data-untagged>${plural(run.untagged, 'untagged manifest')}</strong> removed; garbage collection freed <strong data-freed>${formatBytes(run.bytesFreed)}</strong>.</p>
${run.items.length ? html`<ul class="run-items">${run.items.map((i) => html`<li><code>${i}</code></li>`)}</ul>` : ''}
</section>`;
}
