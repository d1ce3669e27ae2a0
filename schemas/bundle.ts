/**
 * The app bundle format (ARCHITECTURE.md §3): an OCI index whose first child is the template
 * manifest and whose other children are the component images, all in the app's repository.
 */
export const BundleTypes = {
  bundle: 'application/vnd.rainbond.ram.bundle.v1+json',
  template: 'application/vnd.rainbond.ram.template.v1+json',
} as const;

export const BundleAnnotations = {
  component: 'io.rainbond.ram.component',
  source: 'io.rainbond.ram.source',
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
  created: 'org.opencontainers.image.created',
} as const;

/** Largest template.json the store reads. */
export const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;

/** The store-kept tag that names a component's image for Rainbond: `<version>-<service_key>`. */
export function componentTag(version: string, serviceKey: string): string {
  return `${version}-${serviceKey}`;
}

/**
 * The tag that holds a plugin's image in the app's repository: `<version>-plugin-<plugin_key>`
 * (what `appshelf push` and `appshelf import-rainbond` write, and what export and mirror copy).
 */
export function pluginTag(version: string, pluginKey: string): string {
  return `${version}-plugin-${pluginKey.replace(/[^A-Za-z0-9._-]/g, '-')}`.slice(0, 128);
}

/** A descriptor as a bundle index holds it. */
export interface BundleDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string> | undefined;
}

export interface BundleComponent {
  serviceKey: string;
  /** The component image's root (image manifest or index) in the app's repository. */
  descriptor: BundleDescriptor;
  /** The image reference it was copied from. */
  source: string;
}

/**
 * The bundle index JSON, the one way every writer (CLI push, image sync, Rainstore publish) makes
 * it, so that mirrors keep its digest:
 * - no `artifactType` on the template's descriptor (the template manifest carries its own):
 *   skopeo 1.9 cannot keep one on an index's child and refuses `copy --all --preserve-digests`;
 * - compact JSON, fields in Go's order, annotations sorted: what Go clients write back when they
 *   parse and re-serialise an index, so a copy keeps its digest.
 */
export function bundleIndexJson(
  template: BundleDescriptor,
  components: BundleComponent[],
  annotations: Record<string, string>,
): string {
  const children = components.map((c) =>
    canonicalDescriptor({
      ...c.descriptor,
      annotations: {
        [BundleAnnotations.component]: c.serviceKey,
        [BundleAnnotations.source]: c.source,
      },
    }),
  );
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    artifactType: BundleTypes.bundle,
    manifests: [
      canonicalDescriptor({
        mediaType: template.mediaType,
        digest: template.digest,
        size: template.size,
      }),
      ...children,
    ],
    annotations: sortedMap(annotations),
  });
}

/** A descriptor with its keys in Go's order (mediaType, digest, size, annotations). */
function canonicalDescriptor(desc: BundleDescriptor): BundleDescriptor {
  const { mediaType, digest, size, annotations } = desc;
  return {
    mediaType,
    digest,
    size,
    ...(annotations ? { annotations: sortedMap(annotations) } : {}),
  };
}

function sortedMap(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
