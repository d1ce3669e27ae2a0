/**
 * An app's screenshots (issue 16 §1, §2): its managers add (PNG, JPEG or WebP, told by their
 * bytes; never SVG, which can carry script), caption and remove them; whoever may see the app
 * sees them, on its Overview tab and through the store API. Images are content-named blobs
 * under `screenshots/<appKey>/`, rows in `app_screenshots` (screenshot-repository.ts).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  MAX_SCREENSHOT_BYTES,
  MAX_SCREENSHOT_CAPTION,
  MAX_SCREENSHOTS,
  SCREENSHOT_RULE,
} from '../../schemas/names.js';
import type { StorageDriver } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { principalName, type Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { AppAccess, AppRow, Caller } from './app-access.js';
import type { ScreenshotRepository, ScreenshotRow } from './screenshot-repository.js';
import { repositoryOf, type AppRef } from './version-index.js';

export interface ScreenshotView {
  id: number;
  url: string;
  caption: string;
  mediaType: string;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image's media type, from its first bytes; undefined for anything else. */
export function screenshotTypeOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(PNG)) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP')
    return 'image/webp';
  return undefined;
}

export class AppScreenshots {
  constructor(
    private readonly deps: {
      repo: ScreenshotRepository;
      access: AppAccess;
      driver: StorageDriver;
      audit: AuditLog;
      log: Logger;
      clock: () => number;
    },
  ) {}

  async list(p: Principal, ref: AppRef): Promise<ScreenshotView[]> {
    const app = await this.deps.access.visible(p, ref);
    return (await this.deps.repo.list(app.id)).map((row) => viewOf(app, row));
  }

  async add(caller: Caller, ref: AppRef, bytes: Buffer, caption: string): Promise<ScreenshotView> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const mediaType = screenshotTypeOf(bytes);
    if (!mediaType || bytes.length > MAX_SCREENSHOT_BYTES)
      throw new StoreError('invalid', `a screenshot is ${SCREENSHOT_RULE}`, {
        field: 'screenshot',
      });
    const text = caption.trim();
    if (text.length > MAX_SCREENSHOT_CAPTION)
      throw new StoreError(
        'invalid',
        `the caption is at most ${MAX_SCREENSHOT_CAPTION} characters`,
        {
          field: 'caption',
        },
      );
    const storageKey = `screenshots/${app.appKey}/${createHash('sha256').update(bytes).digest('hex')}`;
    // The image first: a row never names an image that is not there; an image whose row was
    // refused (the cap) goes again.
    await this.deps.driver.write(storageKey, Readable.from([bytes]));
    const row = await this.deps.repo.add(
      app.id,
      { storageKey, mediaType, caption: text, createdAt: this.deps.clock() },
      MAX_SCREENSHOTS,
    );
    if (row === 'full') {
      await this.dropUnused(app.id, storageKey);
      throw new StoreError(
        'conflict',
        `${repositoryOf(app)} has ${MAX_SCREENSHOTS} screenshots, the most an app may have: remove one first`,
      );
    }
    await this.record(caller, 'app.screenshot_added', app, {
      id: row.id,
      mediaType,
      bytes: bytes.length,
    });
    return viewOf(app, row);
  }

  async remove(caller: Caller, ref: AppRef, id: number): Promise<void> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const row = await this.deps.repo.remove(app.id, id);
    if (!row) throw new StoreError('not_found', `no screenshot ${id} of ${repositoryOf(app)}`);
    await this.dropUnused(app.id, row.storageKey);
    await this.record(caller, 'app.screenshot_removed', app, { id });
  }

  async image(p: Principal, ref: AppRef, id: number): Promise<{ type: string; body: Readable }> {
    const app = await this.deps.access.visible(p, ref);
    const row = (await this.deps.repo.list(app.id)).find((r) => r.id === id);
    if (!row) throw new StoreError('not_found', `no screenshot ${id} of ${repositoryOf(app)}`);
    const body = await this.deps.driver.read(row.storageKey).catch((err: unknown) => {
      throw new StoreError('not_found', `no screenshot ${id}`, undefined, { cause: err });
    });
    return { type: row.mediaType, body };
  }

  /** Deletes the image unless another screenshot of the app is the same picture. */
  private async dropUnused(appId: number, storageKey: string): Promise<void> {
    if ((await this.deps.repo.list(appId)).some((r) => r.storageKey === storageKey)) return;
    await this.deps.driver
      .delete(storageKey)
      .catch((err: unknown) =>
        this.deps.log.warn({ err, key: storageKey }, 'screenshot not deleted'),
      );
  }

  private async record(
    caller: Caller,
    action: string,
    app: AppRow,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: repositoryOf(app),
      address: caller.address,
      detail,
    });
  }
}

function viewOf(app: AppRow, row: ScreenshotRow): ScreenshotView {
  const base = `/api/v1/apps/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}`;
  return {
    id: row.id,
    url: `${base}/screenshots/${row.id}`,
    caption: row.caption,
    mediaType: row.mediaType,
  };
}
