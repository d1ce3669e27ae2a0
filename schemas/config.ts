import { z } from 'zod';

const Seconds = z.number().int().nonnegative();

/** `config.yml`: every key, its type, its default and its meaning. Defaults live only here. */
export const Config = z.strictObject({
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port')
    .default('0.0.0.0:8080')
    .describe('host:port to listen on'),
  data: z
    .string()
    .min(1)
    .default('./data')
    .describe('data folder: database, blobs, upload staging, signing keys'),
  publicUrl: z
    .url()
    // Without its trailing slashes, so `${publicUrl}/v2/token` and the like never hold a `//`.
    .overwrite((url) => url.replace(/\/+$/, ''))
    .optional()
    .describe(
      'public base URL of the store (e.g. https://store.example.com); derived from the Host header when absent',
    ),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .describe('log level (pino); logs are JSON lines on stdout'),
    })
    .prefault({}),
  storage: z
    .discriminatedUnion('driver', [
      z.strictObject({
        driver: z.literal('fs').describe('blob storage driver: fs (under <data>/storage)'),
      }),
    ])
    .prefault({ driver: 'fs' }),
  registry: z
    .strictObject({
      anonymousPull: z.boolean().default(false).describe('let anyone pull without credentials'),
      maxManifestBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024)
        .describe('largest manifest accepted (413 beyond)'),
      gc: z
        .strictObject({
          graceSeconds: Seconds.default(3600).describe(
            'unreferenced blobs and untagged manifests younger than this survive garbage collection',
          ),
          uploadTtlSeconds: Seconds.default(24 * 3600).describe(
            'upload sessions idle for longer than this are removed',
          ),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      adminKey: z
        .string()
        .min(16)
        .max(255)
        .optional()
        .describe("the bootstrap admin's access key; random and printed once when unset"),
      tokenTtlSeconds: z
        .number()
        .int()
        .min(30)
        .max(86400)
        .default(300)
        .describe('lifetime of registry bearer tokens'),
      service: z
        .string()
        .min(1)
        .default('appshelf')
        .describe('the service named in registry challenges and tokens'),
      sessionTtlDays: z
        .number()
        .int()
        .min(1)
        .max(365)
        .default(30)
        .describe('lifetime of a login session (web cookie or API token)'),
      secureCookies: z
        .boolean()
        .optional()
        .describe('mark the session cookie Secure; defaults to true when publicUrl is https'),
    })
    .prefault({}),
  rainstore: z
    .strictObject({
      marketDomain: z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, . _ or -')
        .default('appshelf')
        .describe(
          'the market domain a Rainbond console binds (the marketDomain query parameter of /app-server/openapi); other domains get 404',
        ),
      marketName: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .default('appshelf')
        .describe('the market name a Rainbond console shows'),
      frameAncestors: z
        .array(
          z
            .string()
            .regex(
              /^(?:'self'|\*|https?:\/\/(?:\*\.)?[a-zA-Z0-9.-]+(?::\d{1,5})?)$/,
              "expected 'self', * or an origin such as https://console.example.com (a leading *. allows its subdomains)",
            ),
        )
        .min(1)
        .max(64)
        .default(["'self'"])
        .describe(
          'who may frame /certification/login, where a Rainbond console\'s user makes a key for it (CSP frame-ancestors; the key is posted only to a listed origin): add each console\'s origin, e.g. ["\'self\'", "https://console.example.com"]; ["*"] lets any site frame the page',
        ),
    })
    .prefault({}),
  sms: z
    .discriminatedUnion('provider', [
      z.strictObject({
        provider: z
          .literal('log')
          .describe(
            'SMS provider: log (development: the code is written to the server log) or webhook',
          ),
      }),
      z.strictObject({
        provider: z.literal('webhook'),
        url: z
          .url()
          .describe('webhook: the SMS gateway URL that receives POST {to, message, code}'),
        headers: z
          .record(z.string(), z.string())
          .default({})
          .describe('webhook: extra request headers, e.g. an authorization secret'),
        template: z
          .string()
          .includes('{code}')
          .default('Your appshelf verification code is {code}. It expires in 10 minutes.')
          .describe('webhook: the message text; {code} is replaced by the code'),
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .max(60_000)
          .default(5000)
          .describe('webhook: time allowed per attempt'),
        retries: z
          .number()
          .int()
          .min(0)
          .max(5)
          .default(2)
          .describe('webhook: further attempts after a timeout, network error or 5xx'),
      }),
    ])
    .prefault({ provider: 'log' }),
});
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
