/**
 * `POST /apps/{appID}/versions` (rainstore-api.md §4.10): a version Rainbond publishes becomes a
 * normal appshelf version. The template is stamped with the envelope's group_key/group_version and
 * validated; component images Rainbond pushed into this store are bound into the app's repository
 * by digest; the stored template carries no registry credentials at all (an install template gets
 * the installer's own, server/auth/pull-credentials.ts); then the template manifest and the bundle
 * index (ARCHITECTURE.md §3) are written in-process, so the indexer makes the version ready, sets
 * the component tags and search picks it up. A template with an image on another registry is
 * stored as a draft (an image sync can publish it later): the credentials it names for that
 * registry are kept for the sync alone (store/source-credential-repository.ts).
 */
import type { Logger } from 'pino';
import {
  BundleAnnotations,
  bundleIndexJson,
  BundleTypes,
  MAX_TEMPLATE_BYTES,
  type BundleComponent,
} from '../../schemas/bundle.js';
import { MediaTypes, type Descriptor } from '../../schemas/oci.js';
import { formatRamError, validateRamTemplate, type RamTemplate } from '../../schemas/ram.js';
import { sourceCredentials, withoutSourceCredentials } from '../../schemas/source-credentials.js';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { principalName } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { AppRow, VersionRow } from '../store/app-access.js';
import type { AppRepositories } from '../store/app-repository.js';
import type { SourceCredentialRepository } from '../store/source-credential-repository.js';
import { digestOf, putBlob } from '../store/put-blob.js';
import { repositoryOf } from '../store/version-index.js';
import { bindImage, resolveStoreImage, storeImageRef } from './store-images.js';
import { credentialsOf, hubHost, imageSlots, setCredentials } from './template-images.js';

export interface VersionEnvelope {
  version: string;
  versionAlias: string;
  description: string;
  rainbondVersion: string;
  arch: string;
  isPlugin: boolean;
  /** The template as sent: an object, or its JSON text. */
  template: unknown;
}

export interface PublishContext {
  principal: Principal;
  address: string;
  /** This store's registry host as apphubinfo names it, and every host that is this store. */
  hub: string;
  ownHosts: ReadonlySet<string>;
}

export class VersionPublisher {
  constructor(
    private readonly deps: {
      repos: AppRepositories;
      /** Where a draft's source credentials are kept for its image sync. */
      credentials: SourceCredentialRepository;
      registry: Registry;
      permissions: Permissions;
      audit: AuditLog;
      log: Logger;
      clock: () => number;
    },
  ) {}

  async publish(app: AppRow, input: VersionEnvelope, ctx: PublishContext): Promise<VersionRow> {
    const template = this.validTemplate(app, input);
    const repository = repositoryOf(app);
    const actor = principalName(ctx.principal);
    // Every image on this store must be there (and readable by the publisher) before anything is written.
    const slots = [];
    for (const slot of imageSlots(template)) {
      const ref = storeImageRef(slot.ref, ctx.ownHosts);
      if (ref === undefined) {
        slots.push({ slot, local: undefined });
        continue;
      }
      const digest =
        ref && (await this.deps.permissions.repository(ctx.principal, ref.repository, 'pull'))
          ? await resolveStoreImage(this.deps.registry, ref)
          : undefined;
      if (!ref || !digest)
        throw new StoreError(
          'invalid',
          formatRamError({ path: slot.path, reason: `image ${slot.ref} is not in this store` }),
        );
      slots.push({ slot, local: { repository: ref.repository, digest } });
    }
    const children: BundleComponent[] = [];
    let external = false;
    for (const { slot, local } of slots) {
      if (!local) {
        // Another registry: the image kept as sent, its credentials only for the sync (below).
        if (slot.kind === 'component') external = true;
        if (!ctx.ownHosts.has(hubHost(credentialsOf(slot)?.hub_url))) continue;
      } else if (slot.kind === 'component') {
        const bound = await bindImage(
          this.deps.registry,
          local.repository,
          repository,
          local.digest,
          actor,
        );
        children.push({
          serviceKey: String(slot.owner.service_key),
          source: slot.ref,
          descriptor: bound,
        });
      }
      setCredentials(slot, ctx.hub, repository, null);
    }
    const named = sourceCredentials(template);
    const templateManifest = await this.writeTemplate(
      repository,
      withoutSourceCredentials(template),
      actor,
      external ? input : undefined,
    );
    if (!external) {
      const index = bundleIndexJson(templateManifest, children, {
        [BundleAnnotations.version]: input.version,
        [BundleAnnotations.title]: template.group_name,
        ...(input.description ? { [BundleAnnotations.description]: input.description } : {}),
        [BundleAnnotations.created]: new Date(this.deps.clock()).toISOString(),
      });
      await this.deps.registry.putManifest({
        repository,
        reference: input.version,
        contentType: MediaTypes.ociIndex,
        content: Buffer.from(index),
        actor,
        address: ctx.address,
      });
    }
    const { repos, credentials } = this.deps;
    const row = await repos.versions.get(app.id, input.version);
    if (!row)
      throw new StoreError('internal', `version ${input.version} of ${repository} was not indexed`);
    if (external && named.length > 0) await credentials.keep(row.id, named, this.deps.clock());
    const updated = await repos.versions.update(row.id, {
      alias: input.versionAlias,
      description: input.description,
      rainbondVersion: input.rainbondVersion,
      arch: input.arch,
      isPlugin: input.isPlugin,
    });
    if (!updated)
      throw new StoreError('conflict', `version ${input.version} of ${repository} was removed`);
    this.deps.audit.record({
      actor,
      action: 'version.published',
      target: `${repository}:${input.version}`,
      address: ctx.address,
      detail: { via: 'rainstore', state: updated.state },
    });
    this.deps.log.info(
      { repo: repository, version: input.version, state: updated.state, actor },
      'rainstore version published',
    );
    return updated;
  }

  /** The envelope's template, stamped and validated (400 `invalid template: <path>: <reason>`). */
  private validTemplate(app: AppRow, input: VersionEnvelope): RamTemplate {
    let parsed = input.template;
    if (typeof parsed === 'string') {
      try {
        parsed = JSON.parse(parsed) as unknown;
      } catch {
        throw new StoreError(
          'invalid',
          formatRamError({ path: 'template', reason: 'not valid JSON' }),
        );
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new StoreError(
        'invalid',
        formatRamError({ path: 'template', reason: 'must be a JSON object' }),
      );
    }
    const result = validateRamTemplate({
      ...parsed,
      group_key: app.appKey,
      group_version: input.version,
    });
    if (!result.ok) throw new StoreError('invalid', formatRamError(result), { path: result.path });
    return result.template;
  }

  /**
   * Stores template.json and its manifest in the app's repository: by digest for a bundle, or as
   * the draft under the version's tag. Returns the manifest's descriptor.
   */
  private async writeTemplate(
    repository: string,
    template: RamTemplate,
    actor: string,
    draftOf: VersionEnvelope | undefined,
  ): Promise<Descriptor> {
    const bytes = Buffer.from(JSON.stringify(template));
    if (bytes.length > MAX_TEMPLATE_BYTES)
      throw new StoreError(
        'invalid',
        formatRamError({ path: 'template', reason: 'larger than 4 MiB' }),
      );
    const config = await putBlob(this.deps.registry, repository, Buffer.from('{}'));
    const layer = await putBlob(this.deps.registry, repository, bytes);
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: BundleTypes.template,
      config: { mediaType: MediaTypes.ociEmpty, ...config },
      layers: [
        {
          mediaType: BundleTypes.template,
          ...layer,
          annotations: { [BundleAnnotations.title]: 'template.json' },
        },
      ],
      annotations: {
        [BundleAnnotations.created]: new Date(this.deps.clock()).toISOString(),
        ...(draftOf
          ? {
              [BundleAnnotations.version]: draftOf.version,
              [BundleAnnotations.description]: draftOf.description,
            }
          : {}),
      },
    };
    const content = Buffer.from(JSON.stringify(manifest));
    const written = await this.deps.registry.putManifest({
      repository,
      reference: draftOf?.version ?? digestOf(content),
      contentType: MediaTypes.ociManifest,
      content,
      actor,
    });
    return {
      mediaType: MediaTypes.ociManifest,
      digest: written.digest,
      size: content.length,
      artifactType: BundleTypes.template,
    };
  }
}
