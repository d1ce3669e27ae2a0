/**
 * An app's introduction, markdown to HTML. markdown-it with raw HTML off escapes any tag the
 * author wrote, and its link check drops javascript:, vbscript:, file: and data: URLs (except
 * data: images); links get rel="nofollow noopener noreferrer ugc". The result is safe to put
 * into a page as it is.
 */
import MarkdownIt from 'markdown-it';
import { trusted, type SafeHtml } from './html.js';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow noopener noreferrer ugc');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const defaultImage = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('loading', 'lazy');
  tokens[idx]!.attrSet('referrerpolicy', 'no-referrer');
  return defaultImage(tokens, idx, options, env, self);
};

/** Headings in an introduction start at h2 (the page's h1 is the app's name). */
md.core.ruler.push('demote_headings', (state) => {
  for (const token of state.tokens) {
    if (
      (token.type === 'heading_open' || token.type === 'heading_close') &&
      /^h[1-5]$/.test(token.tag)
    ) {
      token.tag = `h${Number(token.tag.slice(1)) + 1}`;
    }
  }
});

/** Rendered introductions, by their text: the busiest app pages render once, not per visit. */
const CACHED = 100;
const cache = new Map<string, string>();

export function renderMarkdown(text: string): SafeHtml {
  let out = cache.get(text);
  if (out === undefined) {
    out = md.render(text);
    if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
  } else cache.delete(text);
  cache.set(text, out);
  return trusted(out);
}
