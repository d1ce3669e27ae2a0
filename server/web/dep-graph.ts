/**
 * The dependency graph between an app's components, as inline SVG drawn on the server (the CSP
 * allows no script and no style attribute: colours come from classes). Components are laid out in
 * rows by how deep their dependencies go: what nothing else needs at the top, the components
 * everything needs (databases) at the bottom, so a chain stays narrow enough for a phone; an arrow
 * points from a component to what it needs.
 * A list of the same edges follows for screen readers.
 */
import { html, type SafeHtml } from './html.js';

export interface GraphNode {
  id: string;
  name: string;
  dependsOn: string[];
}

const BOX_W = 168;
const BOX_H = 44;
const GAP_X = 18;
const GAP_Y = 40;
const PAD = 8;
const MAX_LABEL = 20;

export function dependencyGraph(nodes: GraphNode[]): SafeHtml {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges = nodes.flatMap((n) =>
    n.dependsOn.filter((d) => byId.has(d) && d !== n.id).map((d) => ({ from: n.id, to: d })),
  );
  if (!edges.length) return html``;
  const rank = ranks(nodes, byId);
  const deepest = Math.max(...rank.values());
  const rows: GraphNode[][] = Array.from({ length: deepest + 1 }, () => []);
  for (const n of nodes) rows[deepest - (rank.get(n.id) ?? 0)]!.push(n);
  const across = Math.max(...rows.map((r) => r.length));
  const width = PAD * 2 + across * BOX_W + (across - 1) * GAP_X;
  const height = PAD * 2 + rows.length * BOX_H + (rows.length - 1) * GAP_Y;
  const at = new Map<string, { x: number; y: number }>();
  rows.forEach((row, r) => {
    const offset = ((across - row.length) * (BOX_W + GAP_X)) / 2;
    row.forEach((n, c) =>
      at.set(n.id, { x: PAD + offset + c * (BOX_W + GAP_X), y: PAD + r * (BOX_H + GAP_Y) }),
    );
  });
  const label = (s: string): string => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);
  const nameOf = (id: string): string => byId.get(id)?.name ?? id;
  return html`<figure class="dep-graph">
<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="deps-title" class="dep-graph-svg" data-graph="dependencies" width="${width}" height="${height}">
<title id="deps-title">Dependencies between the components</title>
<defs><marker id="dep-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="dep-arrow-head"/></marker></defs>
${edges.map(({ from, to }) => {
  const a = at.get(from)!;
  const b = at.get(to)!;
  // Down to a lower row from the bottom edge; within a row (a cycle), side to side.
  const down = b.y > a.y;
  const right = b.x > a.x;
  const x1 = down ? a.x + BOX_W / 2 : right ? a.x + BOX_W : a.x;
  const y1 = down ? a.y + BOX_H : a.y + BOX_H / 2;
  const x2 = down ? b.x + BOX_W / 2 : right ? b.x : b.x + BOX_W;
  const y2 = down ? b.y : b.y + BOX_H / 2;
  return html`<line class="dep-edge" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#dep-arrow)" data-from="${from}" data-to="${to}"/>`;
})}
${nodes.map((n) => {
  const p = at.get(n.id)!;
  return html`<g class="dep-node"><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="6"/><text x="${p.x + BOX_W / 2}" y="${p.y + BOX_H / 2 + 5}" text-anchor="middle">${label(n.name)}</text></g>`;
})}
</svg>
<figcaption><ul class="dep-list">${edges.map((e) => html`<li>${nameOf(e.from)} needs ${nameOf(e.to)}</li>`)}</ul></figcaption>
</figure>`;
}

/** How many dependency steps lie below each component (0: it needs nothing); cycles stop. */
function ranks(nodes: GraphNode[], byId: Map<string, GraphNode>): Map<string, number> {
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = rank.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const below = (byId.get(id)?.dependsOn ?? []).filter((d) => byId.has(d) && d !== id);
    const r = below.length ? Math.max(...below.map(visit)) + 1 : 0;
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  for (const n of nodes) visit(n.id);
  return rank;
}
