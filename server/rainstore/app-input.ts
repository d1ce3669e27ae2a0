/**
 * Bodies of `POST /apps` and `PUT /apps/{appID}` (rainstore-api.md §4.6, §4.8): the console's
 * fields mapped onto the store's, the registry name derived from the display name, and the logo
 * decoded from its data URI.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { StoreError } from '../errors.js';
import { parseInput } from '../http/validate.js';
import { LOGO_RULE, MAX_LOGO_BYTES } from '../../schemas/names.js';
import { logoTypeOf, type AppFields } from '../store/app-service.js';

/** The console's own rule for app names (Chinese allowed). */
const NAME = /^[a-zA-Z0-9\u4e00-\u9fa5]([a-zA-Z0-9_\-\u4e00-\u9fa5]*[a-zA-Z0-9\u4e00-\u9fa5])?$/;

const AppBody = z.looseObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(
      NAME,
      'letters, digits, Chinese characters, _ and -, starting and ending with a letter or digit',
    ),
  desc: z.string().nullish(),
  introduction: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') <= 64 * 1024, 'must be at most 64 KiB')
    .nullish(),
  logo: z.string().nullish(),
  publishType: z.enum(['public', 'private']).nullish(),
  tags: z.array(z.string().trim().max(32)).nullish(),
  orgID: z.string().nullish(),
});
const AppChange = AppBody.partial();

export interface AppInput {
  displayName?: string | undefined;
  fields: AppFields;
  /** The decoded logo, when a data URI was sent. */
  logo?: Buffer | undefined;
  orgID?: string | undefined;
}

export function parseNewApp(body: unknown): AppInput & { displayName: string } {
  const input = parseAppInput(AppBody, body);
  return {
    ...input,
    displayName: input.displayName!,
    fields: { publishType: 'private', ...input.fields },
  };
}

export function parseAppChange(body: unknown): AppInput {
  return parseAppInput(AppChange, body);
}

function parseAppInput(schema: z.ZodType<z.infer<typeof AppChange>>, body: unknown): AppInput {
  // Every field is text a person typed: its U+0000 dropped, as in the store API's bodies.
  const b = parseInput(schema, body, 'app');
  const fields: AppFields = {};
  if (typeof b.name === 'string') fields.displayName = b.name;
  if (typeof b.desc === 'string') fields.summary = b.desc.trim().slice(0, 256);
  if (typeof b.introduction === 'string') fields.introduction = b.introduction;
  if (b.publishType) fields.publishType = b.publishType;
  if (b.tags) fields.tags = [...new Set(b.tags.filter((t) => t !== ''))].slice(0, 10);
  return {
    displayName: fields.displayName,
    fields,
    logo: decodeLogo(b.logo),
    orgID: b.orgID ?? undefined,
  };
}

/**
 * A `data:image/<type>;base64,...` logo as bytes (PNG, JPEG or SVG, told by the bytes); an empty
 * value or an http(s) URL gives undefined (the store keeps uploaded logos only); anything else 400.
 */
function decodeLogo(logo: string | null | undefined): Buffer | undefined {
  if (!logo || /^https?:\/\//i.test(logo)) return undefined;
  const match = /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]*)$/i.exec(logo);
  const bytes = match ? Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64') : undefined;
  if (!bytes || bytes.length === 0 || bytes.length > MAX_LOGO_BYTES || !logoTypeOf(bytes)) {
    throw new StoreError(
      'invalid',
      `logo must be a data:image/...;base64 URI of an image: ${LOGO_RULE}`,
    );
  }
  return bytes;
}

/**
 * The app's registry name from its display name: ASCII-folded, lower case, runs of other
 * characters as `-`; a short random suffix when that is empty or `taken`.
 */
export async function appSlug(
  displayName: string,
  taken: (name: string) => Promise<boolean>,
): Promise<string> {
  const base = displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 48)
    .replace(/^-+|-+$/g, '');
  if (base && !(await taken(base))) return base;
  for (;;) {
    const name = `${base || 'app'}-${randomBytes(3).toString('hex')}`;
    if (!(await taken(name))) return name;
  }
}
