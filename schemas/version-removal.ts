/**
 * What deleting a version changes besides the version itself (issue 16 §2): the packages that
 * lose it (a package left with no version goes too) and whether the app leaves the shelf
 * because no package is left. The store API answers it for a dry run and for the deletion; the
 * web shows it before the owner confirms.
 */
import { z } from 'zod';

export const VersionRemovalQuery = z.object({
  dryRun: z.enum(['true', 'false']).default('false'),
});

export const PackageLoss = z.object({
  name: z.string(),
  /** The versions the package covers after the deletion; empty: the package is deleted. */
  versionsLeft: z.array(z.string()),
  deleted: z.boolean(),
});
export type PackageLoss = z.infer<typeof PackageLoss>;

export const VersionRemoval = z.object({
  dryRun: z.boolean(),
  app: z.string(),
  version: z.string(),
  packages: z.array(PackageLoss),
  /** The app is on the shelf now and will not be: its last package goes. */
  leavesShelf: z.boolean(),
});
export type VersionRemoval = z.infer<typeof VersionRemoval>;
