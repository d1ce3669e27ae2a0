import { z } from 'zod';

const Seconds = z.number().int().nonnegative();

/** `config.yml`: every key, its type and its default. Defaults live only here. */
export const Config = z.strictObject({
  /** host:port to listen on (env APPSHELF_LISTEN). */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port')
    .default('0.0.0.0:8080'),
  /** Data folder: database, blobs, signing keys (env APPSHELF_DATA). */
  data: z.string().min(1).default('./data'),
  /** Public base URL of the store, e.g. https://store.example.com; derived from Host when absent. */
  publicUrl: z.url().optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  storage: z
    .discriminatedUnion('driver', [z.strictObject({ driver: z.literal('fs') })])
    .prefault({ driver: 'fs' }),
  registry: z
    .strictObject({
      /** Let anyone pull without credentials. */
      anonymousPull: z.boolean().default(false),
      maxManifestBytes: z.number().int().positive().default(4 * 1024 * 1024),
      gc: z
        .strictObject({
          /** Unreferenced blobs and untagged manifests younger than this are kept. */
          graceSeconds: Seconds.default(3600),
          /** Upload sessions idle for longer than this are removed. */
          uploadTtlSeconds: Seconds.default(24 * 3600),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** The bootstrap admin's access key (env APPSHELF_ADMIN_KEY); random and printed once if unset. */
      adminKey: z.string().min(16).optional(),
      /** Lifetime of registry bearer tokens. */
      tokenTtlSeconds: z.number().int().min(30).max(86400).default(300),
      /** The `service` named in registry challenges and tokens. */
      service: z.string().min(1).default('appshelf'),
    })
    .prefault({}),
});
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
