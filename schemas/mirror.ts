/**
 * The store mirror (ARCHITECTURE.md §8): its `config.yml` block and the admin API's answer.
 * An upstream is another appshelf store; its url is a target the admin named, so the outbound
 * policy lets the mirror reach it even when it is internal.
 */
import semver from 'semver';
import { z } from 'zod';

/** `namespace/name`, each part a glob (`*` any run of characters but `/`, `?` one). */
const AppGlob = z
  .string()
  .regex(/^[a-z0-9*?._-]+\/[a-z0-9*?._-]+$/, 'expected namespace/name, each part may use * and ?');

const Namespace = z
  .string()
  .regex(
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    'expected a namespace name (lower-case letters, digits, . _ -)',
  );

export const MirrorUpstream = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected 1-32 lower-case letters, digits, _ or -')
    .describe(
      'mirror: the upstream\'s name (in the admin API, the CLI and the apps\' "mirroredFrom")',
    ),
  url: z
    .url({ protocol: /^https?$/ })
    .overwrite((url) => url.replace(/\/+$/, ''))
    .describe(
      'mirror: the upstream appshelf store (its /v2 and /api/v1), e.g. https://store.example.com',
    ),
  key: z
    .string()
    .min(16)
    .max(255)
    .describe('mirror: an access key on the upstream with the read scope (never logged)'),
  apps: z
    .array(AppGlob)
    .min(1)
    .max(256)
    .describe('mirror: the apps to follow, namespace/name globs, e.g. ["acme/*", "bitnami/redis"]'),
  versions: z
    .string()
    .refine((r) => semver.validRange(r) !== null, 'expected a semver range such as ">=2.0.0"')
    .optional()
    .describe('mirror: a semver range of the versions to copy; absent: all'),
  intervalSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(3600)
    .describe(
      'mirror: seconds between runs; 0: on demand only (POST /api/v1/admin/mirror/{name}/run)',
    ),
  into: z
    .union([z.literal(''), Namespace])
    .default('')
    .describe("mirror: the local namespace mirrored apps land in; '': the upstream's namespace"),
  prune: z
    .boolean()
    .default(false)
    .describe('mirror: delete versions deleted upstream (default: keep them, marked so)'),
});
export type MirrorUpstream = z.infer<typeof MirrorUpstream>;

export const MirrorConfig = z
  .strictObject({
    upstreams: z
      .array(MirrorUpstream)
      .max(64)
      .default([])
      .refine((list) => new Set(list.map((u) => u.name)).size === list.length, {
        message: 'upstream names must be unique',
      })
      .describe('mirror: other appshelf stores whose chosen apps this store follows'),
  })
  .prefault({});

/** `GET /api/v1/admin/mirror`: one item per configured upstream. */
export interface MirrorStatus {
  items: MirrorUpstreamStatus[];
}

export interface MirrorUpstreamStatus {
  name: string;
  url: string;
  state: 'idle' | 'running';
  lastRun: { startedAt: string; finishedAt: string | null; error: string | null } | null;
  apps: MirrorAppStatus[];
  /** While running: the app and version being copied, and the blob bytes this run copied so far. */
  progress?: { app: string; version: string | null; bytes: number } | null;
}

export interface MirrorAppStatus {
  /** The local `namespace/name`. */
  app: string;
  /** The versions held, in store order. */
  versions: string[];
  /** Bytes copied for it by the last run. */
  bytes: number;
  error: string | null;
}
