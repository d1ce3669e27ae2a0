/**
 * JSON pretty-printed with syntax highlighting done on the server: every token in a span with a
 * class (`j-key`, `j-str`, `j-num`, `j-lit`), the text escaped. Tokenised from the pretty-printed
 * text, so keys and strings are told apart by the colon that follows a key.
 */
import { escapeHtml } from './html.js';

const TOKEN =
  /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

export function highlightJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  let out = '';
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += escapeHtml(text.slice(last, m.index));
    const [whole, str, colon, number, literal] = m;
    if (str !== undefined)
      out += colon
        ? `<span class="j-key">${escapeHtml(str)}</span>${colon}`
        : `<span class="j-str">${escapeHtml(str)}</span>`;
    else if (number !== undefined) out += `<span class="j-num">${number}</span>`;
    else if (literal !== undefined) out += `<span class="j-lit">${literal}</span>`;
    last = m.index + whole.length;
  }
  return out + escapeHtml(text.slice(last));
}
