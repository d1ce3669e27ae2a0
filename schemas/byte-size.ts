/**
 * Sizes as people write them (`10GiB`, `500 MB`, `1.5g`, `0`), for the CLI's quota options and the
 * admin page's quota form: binary units (KiB … TiB) and decimal ones (KB … TB, or k, m, g, t).
 */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export const BYTE_SIZE_RULE = 'a size like 10GiB, 500MB or 0 (KiB, MiB, GiB, TiB; KB, MB, GB, TB)';

/** The size in bytes, or undefined when `text` is not one. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}
