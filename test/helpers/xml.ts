/**
 * A strict, small XML reader for the tests of what the store writes as XML (Atom feeds, badges):
 * it throws on anything that is not well-formed (RFC-level: tags that do not nest, an unquoted
 * or repeated attribute, a raw `<` or `&`, an unknown entity, a character XML 1.0 forbids, text
 * outside the root). It reads the subset the store writes (an XML declaration, elements,
 * attributes, text, character references) and refuses the rest (DOCTYPE, CDATA, comments).
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, entities decoded (not its children's). */
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(raw: string, at: number): string {
  if (raw.includes('<')) throw new Error(`raw "<" at ${at}`);
  return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error(`raw "&" at ${at}`);
    if (ENTITIES[ref]) return ENTITIES[ref];
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`unknown entity &${ref}; at ${at}`);
    const ch = String.fromCodePoint(parseInt(m[1] ?? m[2]!, m[1] ? 16 : 10));
    if (FORBIDDEN.test(ch)) throw new Error(`forbidden character reference at ${at}`);
    return ch;
  });
}

export function parseXml(text: string): XmlElement {
  if (FORBIDDEN.test(text)) throw new Error('a character XML 1.0 forbids');
  let i = 0;
  const decl = /^<\?xml version="1\.0"( encoding="utf-8")?\?>/i.exec(text);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(chunk, i);
    else if (chunk.trim()) throw new Error(`text outside the root at ${i}`);
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`mismatched end tag at ${i}`);
      i += m[0].length;
      continue;
    }
    if (/^<[!?]/.test(text.slice(i, i + 2))) throw new Error(`unsupported markup at ${i}`);
    if (root && !stack.length) throw new Error(`a second root at ${i}`);
    i += 1;
    const name = NAME.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))![0];
      i += ws.length;
      if (text.startsWith('/>', i) || text.startsWith('>', i)) break;
      if (!ws) throw new Error(`no space before an attribute at ${i}`);
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text.slice(i));
      if (!a) throw new Error(`bad attribute at ${i}`);
      if (a[1]! in el.attrs) throw new Error(`repeated attribute ${a[1]} at ${i}`);
      el.attrs[a[1]!] = decode(a[2] ?? a[3]!, i);
      i += a[0].length;
    }
    stack[stack.length - 1]?.children.push(el);
    root ??= el;
    if (text.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(el);
    }
  }
  if (stack.length || !root) throw new Error('unclosed element or no root');
  return root;
}

/** Every descendant element named `name`, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}

/** The first child named `name`; throws when there is none. */
export function child(el: XmlElement, name: string): XmlElement {
  const found = el.children.find((c) => c.name === name);
  if (!found) throw new Error(`<${el.name}> has no <${name}>`);
  return found;
}
