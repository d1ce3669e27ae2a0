/** Search results: the query, filters and sort all live in the URL, so every result page links. */
import type { Router } from 'express';
import { z } from 'zod';
import { StoreError } from '../../errors.js';
import { SearchQuery } from '../../routes/search.js';
import { SORTS } from '../../search/ranking.js';
import type { FacetCount, SearchResult } from '../../search/search-service.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { cardList, pagination } from './parts.js';

const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  relevance: 'Best match',
  installs: 'Most installed',
  updated: 'Recently updated',
  name: 'Name',
};
const PAGE_SIZE = 20;

type Query = z.infer<typeof SearchQuery>;

export function searchRoutes(router: Router, s: WebServices): void {
  router.get('/search', async (req, res) => {
    const ctx = res.locals.web;
    const parsed = SearchQuery.safeParse(req.query);
    if (!parsed.success)
      throw new StoreError('invalid', `This search is not valid: ${z.prettifyError(parsed.error)}`);
    const q = { ...parsed.data, pageSize: PAGE_SIZE };
    const result = await s.deps.search.search(ctx.principal, {
      q: q.q,
      tags: q.tag ?? [],
      categories: q.category ?? [],
      publisher: q.publisher,
      arch: q.arch,
      sort: q.sort,
      page: q.page,
      pageSize: PAGE_SIZE,
    });
    const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    const title = q.q ? `“${q.q}”` : 'All apps';
    const body = html`<div class="wrap search-page">
<h1>${q.q ? html`Results for ${title}` : 'All apps'}</h1>
<form class="search-form" role="search" action="/search" method="get">
<label for="q">Search</label>
<div class="row"><input id="q" type="search" name="q" value="${q.q}"><button type="submit">Search</button></div>
${hidden(q, ['q', 'sort'])}
<label for="sort">Sort by</label>
<select id="sort" name="sort" data-autosubmit>${SORTS.map((v) => html`<option value="${v}"${result.sort === v ? html` selected` : ''}>${SORT_LABELS[v]}</option>`)}</select>
<noscript><button type="submit">Apply</button></noscript>
</form>
<div class="search-layout">
<aside class="filters" aria-label="Filters">${filters(q, result)}</aside>
<section aria-live="polite" aria-label="Results">
<p class="result-count">${result.total} ${result.total === 1 ? 'app' : 'apps'}${active(q)}</p>
${cardList(result.items, 'No app matches. Try fewer words or remove a filter.')}
${pagination(q.page, pages, (page) => hrefOf(q, { page }))}
</section>
</div>
</div>`;
    res.send(
      renderPage(ctx, {
        title: q.q ? `Search: ${q.q}` : 'All apps',
        description: `${result.total} apps in the appshelf marketplace${q.q ? ` matching ${q.q}` : ''}.`,
        body,
      }),
    );
  });
}

/** The search URL with `change` applied (a filter added or removed resets the page). */
function hrefOf(q: Query, change: Partial<Query>): string {
  const next = { ...q, page: 1, ...change };
  const params = new URLSearchParams();
  if (next.q) params.set('q', next.q);
  for (const t of next.tag ?? []) params.append('tag', t);
  for (const c of next.category ?? []) params.append('category', c);
  if (next.publisher) params.set('publisher', next.publisher);
  if (next.arch) params.set('arch', next.arch);
  if (next.sort) params.set('sort', next.sort);
  if (next.page > 1) params.set('page', String(next.page));
  const query = params.toString();
  return query ? `/search?${query}` : '/search';
}

function hidden(q: Query, except: string[]): SafeHtml {
  const pairs: [string, string][] = [];
  for (const t of q.tag ?? []) pairs.push(['tag', t]);
  for (const c of q.category ?? []) pairs.push(['category', c]);
  if (q.publisher) pairs.push(['publisher', q.publisher]);
  if (q.arch) pairs.push(['arch', q.arch]);
  return html`${pairs.filter(([k]) => !except.includes(k)).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

function active(q: Query): SafeHtml {
  const chips: SafeHtml[] = [];
  for (const t of q.tag ?? [])
    chips.push(
      html`<a class="chip-x" href="${hrefOf(q, { tag: (q.tag ?? []).filter((x) => x !== t) })}">tag: ${t} <span aria-label="remove">×</span></a>`,
    );
  for (const c of q.category ?? [])
    chips.push(
      html`<a class="chip-x" href="${hrefOf(q, { category: (q.category ?? []).filter((x) => x !== c) })}">category: ${c} <span aria-label="remove">×</span></a>`,
    );
  if (q.publisher)
    chips.push(
      html`<a class="chip-x" href="${hrefOf(q, { publisher: undefined })}">publisher: ${q.publisher} <span aria-label="remove">×</span></a>`,
    );
  if (q.arch)
    chips.push(
      html`<a class="chip-x" href="${hrefOf(q, { arch: undefined })}">arch: ${q.arch} <span aria-label="remove">×</span></a>`,
    );
  return chips.length ? html` · filtered by ${chips}` : html``;
}

function filters(q: Query, result: SearchResult): SafeHtml {
  const group = (
    title: string,
    facets: FacetCount[],
    chosen: readonly string[],
    add: (v: string) => Partial<Query>,
  ): SafeHtml =>
    facets.length
      ? html`<h2 class="small">${title}</h2><ul class="facets">${facets.map(
          (f) =>
            html`<li>${chosen.includes(f.value) ? html`<span aria-current="true">${f.value}</span>` : html`<a href="${hrefOf(q, add(f.value))}">${f.value}</a>`} <span class="n">${f.count}</span></li>`,
        )}</ul>`
      : html``;
  const { tags, categories, publishers, architectures } = result.facets;
  return html`${group('Categories', categories, q.category ?? [], (v) => ({ category: [...(q.category ?? []), v] }))}
${group('Tags', tags, q.tag ?? [], (v) => ({ tag: [...(q.tag ?? []), v] }))}
${group('Publishers', publishers, q.publisher ? [q.publisher] : [], (v) => ({ publisher: v }))}
${group('Architectures', architectures, q.arch ? [q.arch] : [], (v) => ({ arch: v }))}`;
}
