/**
 * Apps through the store API: create, read, change, list on the shelf, logo, delete. Versions
 * and packages are in app-versions.ts and app-packages.ts. Each method checks the caller through
 * AppAccess (the permission module), writes through the app repository and audits it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ModerationRequest } from '../../schemas/moderation.js';
import { ImageIndex, ImageManifest, INDEX_MEDIA_TYPES, type Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { principalName, type Principal } from '../auth/principal.js';
import type { apps } from '../db/store-schema.js';
import { StoreError } from '../errors.js';
import { appView, type AppAccess, type AppRow, type AppView, type Caller } from './app-access.js';
import type { AppChange, AppRepositories } from './app-repository.js';
import type { AppStats, StatDay, StatTotals } from './stats.js';
import { repositoryOf, type AppRef } from './version-index.js';
import type { StoreEvents } from '../webhooks/store-events.js';

/** The columns of no moderation in force. */
const NO_MODERATION = { moderation: null, moderationReason: null, moderatedAt: null } as const;

export interface AppFields {
  displayName?: string | undefined;
  summary?: string | undefined;
  introduction?: string | undefined;
  tags?: string[] | undefined;
  categories?: string[] | undefined;
  sourceUrl?: string | undefined;
  homeUrl?: string | undefined;
  publishType?: 'public' | 'private' | undefined;
}

export interface AppServiceDeps {
  repos: AppRepositories;
  registry: Pick<Registry, 'meta' | 'blobs'>;
  access: AppAccess;
  permissions: Permissions;
  stats: AppStats;
  audit: AuditLog;
  log: Logger;
  clock: () => number;
  /** Store events (webhooks): `listed`, and `delete` of the whole app. */
  events?: StoreEvents | undefined;
}

export class AppService {
  constructor(private readonly deps: AppServiceDeps) {}

  async create(caller: Caller, ref: AppRef, fields: AppFields): Promise<AppView> {
    const { repos, permissions, clock } = this.deps;
    const p = caller.principal;
    if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
    if (!(await permissions.namespace(p, ref.namespace, 'manage-apps'))) {
      throw new StoreError(
        'forbidden',
        `only owners and maintainers of ${ref.namespace} create apps in it`,
      );
    }
    const now = clock();
    const app = await repos.apps.create({
      appKey: randomBytes(16).toString('hex'),
      namespace: ref.namespace,
      name: ref.name,
      displayName: ref.name,
      ...columnsOf(fields),
      createdAt: now,
      updatedAt: now,
    });
    if (app === 'no_namespace')
      throw new StoreError('not_found', `no namespace "${ref.namespace}"`);
    if (app === 'exists') throw new StoreError('conflict', `app ${repositoryOf(ref)} exists`);
    await this.record(caller, 'app.created', app, { fields: Object.keys(fields) });
    return this.view(app);
  }

  async get(p: Principal, ref: AppRef): Promise<AppView> {
    return this.view(await this.deps.access.visible(p, ref));
  }

  async update(caller: Caller, ref: AppRef, fields: AppFields): Promise<AppView> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const set = columnsOf(fields);
    const updated = await this.change(ref, app, { ...set, updatedAt: this.deps.clock() });
    await this.record(caller, 'app.updated', app, { fields: Object.keys(set) });
    return this.view(updated);
  }

  async setListed(caller: Caller, ref: AppRef, listed: boolean): Promise<AppView> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    if (listed && app.moderation === 'taken_down')
      throw new StoreError(
        'forbidden',
        `${repositoryOf(app)} was taken down by an administrator (${app.moderationReason ?? 'no reason given'}); only an administrator can restore it`,
        { moderation: 'taken_down' },
      );
    // Listing again is the owner's answer to an administrator's unlisting: it ends it.
    const ends = listed && app.moderation === 'unlisted' ? NO_MODERATION : {};
    const updated = await this.change(ref, app, { listed, ...ends, updatedAt: this.deps.clock() });
    await this.record(caller, listed ? 'app.listed' : 'app.unlisted', app);
    this.listedEvent(caller, app, listed);
    return this.view(updated);
  }

  /**
   * An administrator's moderation: `unlist` takes the app off the shelf (its owner may list it
   * again), `takedown` keeps it off until an administrator restores it; both with a reason the
   * owner sees on the app's JSON and its management page. `restore` lifts either (the app stays
   * unlisted: listing it is the owner's call). Audited as `app.moderated`.
   */
  async moderate(caller: Caller, ref: AppRef, request: ModerationRequest): Promise<AppView> {
    if (!(await this.deps.permissions.admin(caller.principal)))
      throw new StoreError('forbidden', 'only an administrator moderates apps');
    const app = await this.deps.access.find(ref);
    if (!app) throw new StoreError('not_found', `no app ${repositoryOf(ref)}`);
    const now = this.deps.clock();
    const set: AppChange =
      request.action === 'restore'
        ? NO_MODERATION
        : {
            listed: false,
            moderation: request.action === 'takedown' ? 'taken_down' : 'unlisted',
            moderationReason: request.reason,
            moderatedAt: now,
          };
    const updated = await this.change(ref, app, { ...set, updatedAt: now });
    await this.record(caller, 'app.moderated', app, {
      action: request.action,
      ...(request.action === 'restore' ? {} : { reason: request.reason }),
    });
    if (app.listed && !updated.listed) this.listedEvent(caller, app, false);
    return this.view(updated);
  }

  /** The apps under an administrator's moderation (administrators only), most recent first. */
  async moderatedApps(p: Principal, limit = 200): Promise<AppView[]> {
    if (!(await this.deps.permissions.admin(p)))
      throw new StoreError('forbidden', 'only an administrator moderates apps');
    const rows = await this.deps.repos.apps.moderated(limit);
    return Promise.all(rows.map((app) => this.view(app)));
  }

  private listedEvent(caller: Caller, app: AppRow, listed: boolean): void {
    this.deps.events?.emit({
      type: 'listed',
      namespace: app.namespace,
      app: app.name,
      actor: principalName(caller.principal),
      data: { repository: repositoryOf(app), listed },
    });
  }

  /**
   * Deletes the app's rows (versions, packages, statistics go with it) and its registry content:
   * every tag, every manifest reachable from them, and the repository's links to their blobs;
   * then its rows in one transaction (an app whose content went but whose rows failed to go is
   * still listed, and can be deleted again). Garbage collection frees the blob bytes later.
   */
  async remove(caller: Caller, ref: AppRef): Promise<void> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const repository = repositoryOf(ref);
    const removed = await this.removeRegistryContent(repository);
    // In the removal's unit of work on SQLite; after its commit on PostgreSQL, awaited below.
    let audited: void | Promise<void> = undefined;
    const counts = await this.deps.repos.apps.remove(app.id, () => {
      audited = this.record(caller, 'app.deleted', app, removed);
      this.deps.events?.emit({
        type: 'delete',
        namespace: app.namespace,
        app: app.name,
        actor: principalName(caller.principal),
        data: { repository },
      });
      return removed;
    });
    await audited;
    this.deps.log.info(
      { repo: repository, actor: principalName(caller.principal), ...counts },
      'app deleted',
    );
    if (app.logoKey) await this.dropLogo(app.logoKey);
  }

  /** Stores a PNG, JPEG or SVG logo (told by its bytes) under a content-named key. */
  async setLogo(caller: Caller, ref: AppRef, bytes: Buffer): Promise<AppView> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const type = logoTypeOf(bytes);
    if (!type)
      throw new StoreError('invalid', 'the logo must be a PNG, JPEG or SVG image', {
        field: 'logo',
      });
    const key = `logos/${app.appKey}/${createHash('sha256').update(bytes).digest('hex')}`;
    await this.deps.registry.blobs.driver.write(key, Readable.from([bytes]));
    const updated = await this.deps.repos.apps.update(app.id, {
      logoKey: key,
      logoType: type,
      updatedAt: this.deps.clock(),
    });
    if (updated) await this.record(caller, 'app.logo', app, { type, bytes: bytes.length });
    if (!updated) {
      await this.dropLogo(key);
      throw new StoreError('not_found', `no app ${repositoryOf(ref)}`);
    }
    if (app.logoKey && app.logoKey !== key) await this.dropLogo(app.logoKey);
    return this.view(updated);
  }

  async logo(p: Principal, ref: AppRef): Promise<{ type: string; body: Readable }> {
    const app = await this.deps.access.visible(p, ref);
    if (!app.logoKey || !app.logoType) throw new StoreError('not_found', 'the app has no logo');
    const body = await this.deps.registry.blobs.driver.read(app.logoKey).catch((err: unknown) => {
      throw new StoreError('not_found', 'the app has no logo', undefined, { cause: err });
    });
    return { type: app.logoType, body };
  }

  /**
   * Counts a page view of the app (once per visitor per day). The publisher's own people
   * (members of its namespace) looking at their app are no visitors: never counted.
   */
  async visit(p: Principal, ref: AppRef, visitor: string): Promise<{ counted: boolean }> {
    const app = await this.deps.access.visible(p, ref);
    if (await this.deps.access.ownPeople(p, app)) return { counted: false };
    return { counted: await this.deps.stats.visit(app.id, visitor) };
  }

  /** The last `days` days of statistics, zero-filled, and the all-time totals. */
  async statistics(
    p: Principal,
    ref: AppRef,
    days: number,
  ): Promise<{ days: StatDay[]; totals: StatTotals }> {
    const app = await this.deps.access.visible(p, ref);
    return {
      days: await this.deps.stats.series(app.id, days),
      totals: (await this.deps.stats.totals([app.id])).get(app.id)!,
    };
  }

  async view(app: AppRow): Promise<AppView> {
    const { access, stats } = this.deps;
    const latest = (await access.versionsOf(app.id, false))[0];
    return appView(app, {
      onShelf: await access.onShelf(app),
      latestVersion: latest?.version ?? null,
      stats: (await stats.totals([app.id])).get(app.id)!,
      packages: await access.packagesOf(app.id),
    });
  }

  /** The changed row; an app deleted meanwhile is not found. */
  private async change(ref: AppRef, app: AppRow, set: AppChange): Promise<AppRow> {
    const row = await this.deps.repos.apps.update(app.id, set);
    if (!row) throw new StoreError('not_found', `no app ${repositoryOf(ref)}`);
    return row;
  }

  private async removeRegistryContent(
    repository: string,
  ): Promise<{ tags: number; manifests: number }> {
    const { meta } = this.deps.registry;
    const tags = await meta.allTags(repository);
    const seen = new Set<Digest>();
    const walk = async (digest: Digest): Promise<void> => {
      if (seen.has(digest)) return;
      seen.add(digest);
      for (const r of await meta.referrers(repository, digest)) await walk(r.digest);
      const stored = await meta.manifestByDigest(repository, digest);
      if (!stored) return;
      const json = JSON.parse(stored.content.toString('utf8')) as unknown;
      if (INDEX_MEDIA_TYPES.has(stored.mediaType)) {
        const index = ImageIndex.safeParse(json);
        if (index.success) for (const child of index.data.manifests) await walk(child.digest);
      } else {
        const image = ImageManifest.safeParse(json);
        if (image.success)
          for (const blob of [image.data.config, ...image.data.layers])
            await meta.unlinkBlob(repository, blob.digest);
      }
      await meta.deleteManifest(repository, digest);
    };
    for (const tag of tags) {
      await meta.deleteTag(repository, tag.name);
      await walk(tag.digest);
    }
    return { tags: tags.length, manifests: seen.size };
  }

  private async dropLogo(key: string): Promise<void> {
    await this.deps.registry.blobs.driver
      .delete(key)
      .catch((err: unknown) => this.deps.log.warn({ err, key }, 'logo not deleted'));
  }

  private record(
    caller: Caller,
    action: string,
    app: AppRow,
    detail?: Record<string, unknown>,
  ): void | Promise<void> {
    return this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: `${app.namespace}/${app.name}`,
      address: caller.address,
      ...(detail ? { detail } : {}),
    });
  }
}

function columnsOf(fields: AppFields): Partial<typeof apps.$inferInsert> {
  const set: Partial<typeof apps.$inferInsert> = {};
  if (fields.displayName !== undefined) set.displayName = fields.displayName;
  if (fields.summary !== undefined) set.summary = fields.summary;
  if (fields.introduction !== undefined) set.introduction = fields.introduction;
  if (fields.tags !== undefined) set.tags = JSON.stringify([...new Set(fields.tags)]);
  if (fields.categories !== undefined)
    set.categories = JSON.stringify([...new Set(fields.categories)]);
  if (fields.sourceUrl !== undefined) set.sourceUrl = fields.sourceUrl;
  if (fields.homeUrl !== undefined) set.homeUrl = fields.homeUrl;
  if (fields.publishType !== undefined) set.publishType = fields.publishType;
  return set;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The logo's media type by its bytes (never the client's word), or undefined. */
export function logoTypeOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(PNG)) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return isSvg(bytes) ? 'image/svg+xml' : undefined;
}

/** An XML document whose root element is `<svg>`: a prolog, comments and a doctype may come first. */
function isSvg(bytes: Buffer): boolean {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const prolog =
    /^\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)\s*)*<svg[\s>/]/i;
  return prolog.test(text);
}
