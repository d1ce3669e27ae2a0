/**
 * The listing file of an air-gap archive (`appshelf export`): what the store API says about each
 * exported app, so that `appshelf import` puts the same listing on the other store. It lies in the
 * OCI layout beside index.json; OCI tools (skopeo) ignore it.
 */
import { z } from 'zod';

export const LISTING_FILE = 'appshelf-listing.json';
export const LISTING_FORMAT = 'appshelf.listing.v1';

/** index.json annotations an export adds, so an import needs no names. */
export const ArchiveAnnotations = {
  /** `<repository>:<tag>` or `<repository>@<digest>`: where the entry goes (containerd's key). */
  imageName: 'io.containerd.image.name',
  /** 'bundle' | 'plugin' | 'referrer'. */
  role: 'io.appshelf.archive.role',
} as const;

const Strings = z.array(z.string().max(256)).max(100);

export const AppListing = z.strictObject({
  namespace: z.string().min(1).max(64),
  name: z.string().min(1).max(64),
  displayName: z.string().max(256),
  summary: z.string().max(1024),
  introduction: z.string().max(256 * 1024),
  tags: Strings,
  categories: Strings,
  sourceUrl: z.string().max(1000),
  homeUrl: z.string().max(1000),
  publishType: z.enum(['public', 'private']),
  listed: z.boolean(),
  /** The logo's bytes (base64) and media type; null: none. */
  logo: z.strictObject({ type: z.string().max(100), data: z.base64() }).nullable(),
  packages: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64),
        type: z.literal('free'),
        versions: z.array(z.string().min(1).max(128)).max(100),
      }),
    )
    .max(100),
});
export type AppListing = z.infer<typeof AppListing>;

export const ListingFile = z.strictObject({
  format: z.literal(LISTING_FORMAT),
  apps: z.array(AppListing).max(10_000),
});
export type ListingFile = z.infer<typeof ListingFile>;
