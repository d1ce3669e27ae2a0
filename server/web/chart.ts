/**
 * The 30-day statistics chart: an inline SVG drawn on the server (no script, no style attribute:
 * the page's CSP allows neither), with a table of the same numbers for screen readers.
 */
import { plural } from '../../schemas/plural.js';
import { html, type SafeHtml } from './html.js';
import type { StatDay } from '../store/stats.js';

const W = 600;
const H = 160;
const PAD = { top: 12, right: 12, bottom: 24, left: 36 };

export function statsChart(days: StatDay[], id = 'stats'): SafeHtml {
  const max = Math.max(1, ...days.map((d) => Math.max(d.visits, d.installs)));
  const top = niceCeil(max);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number): number =>
    PAD.left + (days.length <= 1 ? innerW / 2 : (i * innerW) / (days.length - 1));
  const y = (v: number): number => PAD.top + innerH - (v / top) * innerH;
  const line = (pick: (d: StatDay) => number): string =>
    days.map((d, i) => `${x(i).toFixed(1)},${y(pick(d)).toFixed(1)}`).join(' ');
  const first = days[0]?.day ?? '';
  const last = days.at(-1)?.day ?? '';
  const sum = (pick: (d: StatDay) => number): number => days.reduce((n, d) => n + pick(d), 0);
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="none" class="chart-svg">
<title id="${id}-title">Visits and installs per day, last ${days.length} days</title>
<desc id="${id}-desc">${plural(
    sum((d) => d.visits),
    'visit',
  )} and ${plural(
    sum((d) => d.installs),
    'install',
  )} from ${first} to ${last}.</desc>
${[0, top / 2, top].map((v) => html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>${Number.isInteger(v) ? html`<text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>` : ''}`)}
<text class="axis" x="${PAD.left}" y="${H - 6}">${first.slice(5)}</text>
<text class="axis" x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${last.slice(5)}</text>
<polyline class="series visits" points="${line((d) => d.visits)}"/>
<polyline class="series installs" points="${line((d) => d.installs)}"/>
</svg>
<figcaption><span class="key visits">Visits</span> <span class="key installs">Installs</span></figcaption>
<details><summary>The numbers per day</summary>
<table class="data"><thead><tr><th scope="col">Day</th><th scope="col">Visits</th><th scope="col">Installs</th></tr></thead>
<tbody>${days.filter((d) => d.visits || d.installs).map((d) => html`<tr><th scope="row">${d.day}</th><td>${d.visits}</td><td>${d.installs}</td></tr>`)}</tbody></table>
</details>
</figure>`;
}

/** 1, 2, 5, 10, 20, 50 ... at or above n. */
function niceCeil(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
