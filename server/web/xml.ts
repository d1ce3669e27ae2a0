/**
 * Text for XML documents (the Atom feeds, the badges). Publishers write names and changelogs, so
 * every value is escaped, and characters XML 1.0 cannot hold at all (C0 controls but tab and line
 * breaks, lone surrogates, U+FFFE and U+FFFF) are dropped: one of them makes a whole feed unreadable.
 */
import { escapeHtml } from './html.js';

const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `text` as XML character data or an attribute value (quotes escaped too). */
export function escapeXml(text: string): string {
  return escapeHtml(text.replace(NOT_XML, ''));
}
