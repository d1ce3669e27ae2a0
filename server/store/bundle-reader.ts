/**
 * Recognises what a manifest is to the store — a bare template (a draft version), a bundle (a
 * ready version), or neither — by its content, not by the index's artifactType alone (skopeo 1.9
 * drops OCI 1.1 artifactType fields when it copies an index).
 */
import { BundleAnnotations, BundleTypes, MAX_TEMPLATE_BYTES } from '../../schemas/bundle.js';
import {
  ImageIndex,
  ImageManifest,
  INDEX_MEDIA_TYPES,
  type Descriptor,
  type Digest,
} from '../../schemas/oci.js';
import { formatRamError, validateRamTemplate, type RamTemplate } from '../../schemas/ram.js';
import { nulPath } from '../../schemas/nul.js';
import { storedPasswordProblem } from '../../schemas/source-credentials.js';
import { OciError, type Registry } from '../../registry/index.js';
import { readLimited } from '../../registry/read-limited.js';

export interface ComponentBinding {
  serviceKey: string;
  /** The component image's manifest digest in the app's repository; null in a draft. */
  imageDigest: Digest | null;
  source: string;
}

export interface AppContent {
  kind: 'template' | 'bundle';
  /** Digest of the template manifest (the bundle's first child, or the draft itself). */
  templateDigest: Digest;
  template: RamTemplate;
  components: ComponentBinding[];
  annotations: Record<string, string>;
  warnings: string[];
}

export class BundleReader {
  constructor(private readonly registry: Pick<Registry, 'meta' | 'blobs'>) {}

  /**
   * What `content` (a manifest of `repository`) holds for the store, or undefined when it is not
   * an app template or bundle. Throws OciError MANIFEST_INVALID for a broken template, or one
   * that carries a registry password (schemas/source-credentials.ts).
   */
  async read(
    repository: string,
    manifest: { digest: Digest; mediaType: string },
    content: Buffer,
  ): Promise<AppContent | undefined> {
    const json = JSON.parse(content.toString('utf8')) as unknown;
    const found = await this.readJson(repository, manifest, json);
    // An app's manifest is kept byte-exact and its annotations (the version's notes, title,
    // component sources) are copied into text columns, which on PostgreSQL cannot hold U+0000:
    // refused, naming where, before anything is stored (schemas/nul.ts).
    const nul = found && nulPath(json);
    if (nul)
      throw new OciError('MANIFEST_INVALID', `manifest: ${nul}: must not contain U+0000`, {
        path: nul,
        reason: 'must not contain U+0000',
      });
    return found;
  }

  private async readJson(
    repository: string,
    manifest: { digest: Digest; mediaType: string },
    json: unknown,
  ): Promise<AppContent | undefined> {
    const { mediaType } = manifest;
    if (INDEX_MEDIA_TYPES.has(mediaType)) return this.readBundle(repository, json);
    const image = ImageManifest.safeParse(json);
    if (!image.success) return undefined;
    const layer = templateLayer(image.data);
    if (!layer) return undefined;
    const template = await this.readTemplate(repository, layer);
    return {
      kind: 'template',
      templateDigest: manifest.digest,
      template: template.template,
      components: template.components.map((c) => ({ ...c, imageDigest: null })),
      annotations: image.data.annotations ?? {},
      warnings: template.warnings,
    };
  }

  private async readBundle(repository: string, json: unknown): Promise<AppContent | undefined> {
    const index = ImageIndex.safeParse(json);
    if (!index.success) return undefined;
    for (const child of index.data.manifests) {
      const stored = await this.registry.meta.manifestByDigest(repository, child.digest);
      if (!stored || INDEX_MEDIA_TYPES.has(stored.mediaType)) continue;
      const manifest = ImageManifest.safeParse(JSON.parse(stored.content.toString('utf8')));
      const layer = manifest.success ? templateLayer(manifest.data) : undefined;
      if (!layer) continue;
      const template = await this.readTemplate(repository, layer);
      const bound = new Map(
        index.data.manifests
          .filter((d) => d.annotations?.[BundleAnnotations.component])
          .map((d) => [d.annotations![BundleAnnotations.component]!, d] as const),
      );
      const unbound = template.components
        .filter((c) => !bound.has(c.serviceKey))
        .map((c) => c.serviceKey);
      if (unbound.length > 0) {
        throw new OciError(
          'MANIFEST_INVALID',
          `bundle has no image for component ${unbound.join(', ')}`,
          { unbound },
        );
      }
      return {
        kind: 'bundle',
        templateDigest: child.digest,
        template: template.template,
        components: template.components.map((c) => {
          const d = bound.get(c.serviceKey)!;
          return {
            serviceKey: c.serviceKey,
            imageDigest: d.digest,
            source: d.annotations?.[BundleAnnotations.source] ?? c.source,
          };
        }),
        annotations: index.data.annotations ?? {},
        warnings: template.warnings,
      };
    }
    return undefined;
  }

  private async readTemplate(
    repository: string,
    layer: Descriptor,
  ): Promise<{
    template: RamTemplate;
    components: Omit<ComponentBinding, 'imageDigest'>[];
    warnings: string[];
  }> {
    if (layer.size > MAX_TEMPLATE_BYTES)
      throw new OciError('MANIFEST_INVALID', 'template.json is larger than 4 MiB');
    if ((await this.registry.blobs.sizeIn(repository, layer.digest)) === undefined) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', undefined, { missing: [layer.digest] });
    }
    const bytes = await readLimited(
      await this.registry.blobs.open(layer.digest),
      MAX_TEMPLATE_BYTES,
      () => new OciError('MANIFEST_INVALID', 'template.json is too large'),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new OciError('MANIFEST_INVALID', 'invalid template: template.json is not valid JSON');
    }
    const result = validateRamTemplate(parsed);
    if (!result.ok)
      throw new OciError('MANIFEST_INVALID', formatRamError(result), {
        path: result.path,
        reason: result.reason,
      });
    // A publisher's registry password would be served with the template: refuse it, naming whose.
    const secret = storedPasswordProblem(result.template);
    if (secret) throw new OciError('MANIFEST_INVALID', formatRamError(secret), secret);
    const components = (result.template.apps ?? []).map((app) => ({
      serviceKey: String(app.service_key),
      source: String(app.share_image || app.image || ''),
    }));
    return { template: result.template, components, warnings: result.warnings };
  }
}

/** The template.json layer of a template manifest, or undefined when it is some other manifest. */
export function templateLayer(manifest: ImageManifest): Descriptor | undefined {
  return (
    manifest.layers.find((l) => l.mediaType === BundleTypes.template) ??
    (manifest.artifactType === BundleTypes.template
      ? manifest.layers.find((l) => l.annotations?.[BundleAnnotations.title] === 'template.json')
      : undefined)
  );
}
