/**
 * HTML by tagged template: every interpolated value is escaped unless it is already `SafeHtml`
 * (made by `html` itself, or by `trusted()` for markup we produced, such as sanitised markdown).
 * Arrays are joined, and null, undefined and false print nothing, so conditionals read naturally:
 * html`<ul>${items.map((i) => html`<li>${i.name}</li>`)}</ul>${error && html`<p>${error}</p>`}`.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type HtmlValue =
  SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function print(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(print).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += print(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Markup we made ourselves and vouch for (sanitised markdown, generated SVG). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** An attribute that is present or absent: html`<input ${attr('checked', on)}>`. */
export function attr(name: string, on: boolean | undefined): SafeHtml {
  return new SafeHtml(on ? ` ${name}` : '');
}
