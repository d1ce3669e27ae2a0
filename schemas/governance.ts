/**
 * Governance rules of a namespace (issue 17 §2, §3) as the store API takes and answers them:
 * immutability rules, retention rules and a retention run's report. Shared by the server
 * (server/governance/), its OpenAPI document and the CLI (`appshelf rules`).
 */
import { z } from 'zod';

export const ImmutabilityRules = z.strictObject({
  versions: z.boolean().default(false),
  tagPatterns: z
    .array(
      z
        .string()
        .min(1)
        .max(128)
        .regex(/^[a-zA-Z0-9_.*?-]+$/, 'tag characters, * and ? only'),
    )
    .max(32)
    .default([]),
});
export type ImmutabilityRules = z.infer<typeof ImmutabilityRules>;

export const RetentionRules = z.strictObject({
  keepNewest: z.number().int().min(1).max(100_000).nullable().default(null),
  keepPulledDays: z.number().int().min(1).max(36_500).nullable().default(null),
  // At least an hour: an index's child manifests are pushed untagged just before the index.
  untaggedHours: z.number().int().min(1).max(876_000).nullable().default(null),
});
export type RetentionRules = z.infer<typeof RetentionRules>;

export const RemovedVersion = z.object({
  repository: z.string(),
  version: z.string(),
  digest: z.string(),
  /** Which rules it falls out of, in words. */
  reason: z.string(),
  /** The immutability rule this removal went past (a forced run), if any. */
  forced: z.string().optional(),
});
export type RemovedVersion = z.infer<typeof RemovedVersion>;

export const KeptVersion = z.object({
  repository: z.string(),
  version: z.string(),
  /** Why it stays, e.g. `among the 3 newest`, `listed`, `in package basic`. */
  kept: z.array(z.string()),
});
export type KeptVersion = z.infer<typeof KeptVersion>;

export const RemovedManifest = z.object({
  repository: z.string(),
  digest: z.string(),
  reason: z.string(),
});
export type RemovedManifest = z.infer<typeof RemovedManifest>;

/** What a run removes (or, dry, would remove) and why every other version stays. */
export const RetentionReport = z.object({
  namespace: z.string(),
  app: z.string().nullable(),
  dryRun: z.boolean(),
  removed: z.array(RemovedVersion),
  kept: z.array(KeptVersion),
  untagged: z.array(RemovedManifest),
  /** A real run's garbage collection after the removals (null on a dry run). */
  gc: z
    .object({ manifestsDeleted: z.number(), blobsDeleted: z.number(), bytesFreed: z.number() })
    .nullable(),
});
export type RetentionReport = z.infer<typeof RetentionReport>;

/** `?dryRun` (default true: nothing goes unless asked) and `?force` (past immutability, owners). */
export const RetentionRunQuery = z.object({
  dryRun: z.enum(['true', 'false']).default('true'),
  force: z.enum(['true', 'false']).default('false'),
});
