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
