/**
 * A README badge as a shields.io-style "flat" SVG: a grey label and a coloured message, each
 * sized from a table of Verdana's advance widths at 11 px (the font shields measures with).
 * Characters the table lacks count as a full em, wider than any Latin glyph, so a text is never
 * measured short; `textLength` then fits the text to its box in whatever font the viewer has.
 */
import { escapeXml } from './xml.js';

/** Verdana advance widths in font units (2048 per em), for U+0020 to U+007E. */
const VERDANA_UNITS = [
  720, 806, 940, 1716, 1302, 2223, 1555, 550, 909, 909, 1302, 1716, 745, 909, 745, 909, 1302, 1302,
  1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 909, 909, 1716, 1716, 1716, 1117, 2134, 1401,
  1405, 1430, 1577, 1294, 1178, 1571, 1540, 862, 931, 1427, 1141, 1726, 1532, 1612, 1235, 1612,
  1424, 1400, 1245, 1509, 1401, 2025, 1403, 1245, 1400, 909, 909, 909, 1716, 1302, 1302, 1229, 1270,
  1066, 1270, 1215, 719, 1270, 1292, 556, 690, 1186, 556, 1976, 1292, 1232, 1270, 1270, 874, 1042,
  793, 1292, 1186, 1645, 1186, 1186, 1052, 1300, 909, 1300, 1716,
];
const FONT_PX = 11;
const UNITS_PER_EM = 2048;
/** Space on each side of a text inside its box, as shields leaves. */
const PADDING_PX = 5;
/** Labels and messages longer than this are cut (with an ellipsis): a badge is one short line. */
export const MAX_BADGE_TEXT = 64;

export const BADGE_COLORS = {
  label: '#555',
  version: '#007ec6',
  installs: '#007ec6',
  missing: '#9f9f9f',
};

/** The width in px `text` takes in Verdana 11 px, never less than it renders. */
export function textWidth(text: string): number {
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    units +=
      (code >= 0x20 && code <= 0x7e ? VERDANA_UNITS[code - 0x20] : undefined) ?? UNITS_PER_EM;
  }
  return (units * FONT_PX) / UNITS_PER_EM;
}

function shorten(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > MAX_BADGE_TEXT
    ? `${chars.slice(0, MAX_BADGE_TEXT - 1).join('')}…`
    : chars.join('');
}

export function renderBadge(input: { label: string; message: string; color: string }): string {
  const label = shorten(input.label);
  const message = shorten(input.message);
  // Widths in whole px; text positions and lengths in tenths (the text is drawn at scale .1).
  const lw = Math.ceil(textWidth(label)) + 2 * PADDING_PX;
  const mw = Math.ceil(textWidth(message)) + 2 * PADDING_PX;
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  const title = escapeXml(`${label}: ${message}`);
  const text = (t: string, x: number, width: number) =>
    `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${(width - 2 * PADDING_PX) * 10}">${t}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${(width - 2 * PADDING_PX) * 10}">${t}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${BADGE_COLORS.label}"/><rect x="${lw}" width="${mw}" height="20" fill="${escapeXml(input.color)}"/><rect width="${w}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(l, lw / 2, lw) +
    text(m, lw + mw / 2, mw) +
    `</g></svg>\n`
  );
}
