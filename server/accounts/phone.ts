import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A phone number in E.164 (`+8613800138000`), or undefined when it is not a valid number of any
 * country. International numbers must carry their `+` country code: a store serves every country,
 * so there is no default region to guess from.
 */
export function normalisePhone(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed.startsWith('+') || trimmed.length > 32) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** `+86138****8000`: enough to recognise a number in logs and lists, not to use it. */
export function maskPhone(e164: string): string {
  if (e164.length <= 8) return `${e164.slice(0, 3)}****`;
  return `${e164.slice(0, e164.length - 8)}****${e164.slice(-4)}`;
}
