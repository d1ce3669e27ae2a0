/**
 * Rainbond's exports name registry credentials in a template (`hub_user`/`hub_password` of
 * `service_image` and `plugin_image`). The store refuses a template with a password in it, and the
 * CLI copies the images itself with its own logins, so the template it pushes has them blank.
 */
import { sourceCredentials, withoutSourceCredentials } from '../schemas/source-credentials.js';

export interface PushableTemplate<T> {
  /** The bytes as given, or the template again without the credentials. */
  bytes: Buffer;
  template: T;
  /** One line when credentials were left out. */
  warnings: string[];
}

export function pushableTemplate<T>(bytes: Buffer, template: T): PushableTemplate<T> {
  const found = sourceCredentials(template);
  if (found.length === 0) return { bytes, template, warnings: [] };
  const cleaned = withoutSourceCredentials(template);
  const parsed = withoutSourceCredentials(JSON.parse(bytes.toString('utf8')) as unknown);
  return {
    bytes: Buffer.from(`${JSON.stringify(parsed, null, 2)}\n`),
    template: cleaned,
    warnings: [
      `left out the registry credentials of ${found.map((c) => c.path).join(', ')}: the store keeps none`,
    ],
  };
}
