/**
 * Editing one's app: texts and links (with a preview of the introduction), the logo, the shelf
 * switch, versions (publish a draft, delete) and packages. Every action posts here, calls the
 * store's service for it, and comes back to the page (Post/Redirect/Get) with a notice; a refused
 * action shows the page again with the reason and what was typed.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { LOGO_RULE, MAX_LOGO_BYTES } from '../../../schemas/names.js';
import { MAX_TEMPLATE_BYTES } from '../../../schemas/bundle.js';
import { hubHostOf, ownHostsOf } from '../../rainstore/market.js';
import type { AppFields } from '../../store/app-service.js';
import type { AppRef } from '../../store/version-index.js';
import { signedIn } from '../context.js';
import { field, fieldList, formOf, splitList, uploadOf, type Fields } from '../form.js';
import type { WebServices } from '../services.js';
import { manageAppPath } from './parts.js';
import { renderManageApp, type Draft } from './manage-app-view.js';
import { renderVersionRemoval } from './version-removal-view.js';
import { renderSyncPage } from './sync-view.js';
import type { WebhookService } from '../../webhooks/webhook-service.js';
import { webhookActions } from './webhooks.js';
import { WEBHOOK_DONE } from './webhooks-view.js';

const Label = z.string().trim().min(1).max(32, 'at most 32 characters each');
const WebUrl = z.union([
  z.literal(''),
  z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(500),
]);
const Change = z.strictObject({
  displayName: z.string().trim().max(64, 'at most 64 characters'),
  summary: z.string().trim().max(256, 'at most 256 characters'),
  introduction: z
    .string()
    .refine((t) => Buffer.byteLength(t, 'utf8') <= 64 * 1024, 'at most 64 KiB'),
  tags: z.array(Label).max(10, 'at most 10'),
  categories: z.array(Label).max(10, 'at most 10'),
  homeUrl: WebUrl,
  sourceUrl: WebUrl,
});

/** The source registry login a publish form gives (kept in memory for the sync only). */
function credentialsOf(form: Fields): {
  credentials?: { registry: string; username: string; password: string }[];
} {
  const registry = field(form, 'registry').trim();
  if (
    registry.length > 255 ||
    field(form, 'username').length > 256 ||
    field(form, 'password').length > 4096
  )
    throw new StoreError('invalid', 'The registry login is too long.');
  if (!registry) return {};
  return {
    credentials: [
      { registry, username: field(form, 'username'), password: field(form, 'password') },
    ],
  };
}

/** The template's own group_version, when it is JSON that names one. */
function groupVersionOf(template: string): string {
  try {
    const parsed = JSON.parse(template) as { group_version?: unknown };
    return typeof parsed.group_version === 'string' ? parsed.group_version.trim() : '';
  } catch {
    return ''; // publishing names what is wrong with it
  }
}

const DONE: Record<string, string> = {
  created: 'The app is created. Push a version to it, then put it on the shelf.',
  saved: 'Saved.',
  logo: 'The logo is changed.',
  screenshot: 'The screenshot is added: see it on the app’s Overview tab.',
  'screenshot-removed': 'The screenshot is removed.',
  listed: 'The app is listed: it is on the shelf when it has a package.',
  unlisted: 'The app is no longer listed.',
  'version-deleted': 'The version is deleted.',
  'version-uploaded':
    'The version is uploaded: every image it names is in this store, so it is ready to install.',
  'version-draft': 'The version is uploaded as a draft: its images are on other registries.',
  package: 'The package is created.',
  'package-deleted': 'The package is deleted.',
  ...WEBHOOK_DONE,
};

export function manageAppRoutes(router: Router, s: WebServices): void {
  const refOf = (req: Request): AppRef => ({
    namespace: String(req.params.ns),
    name: String(req.params.app),
  });
  const base = '/my/apps/:ns/:app';
  const syncPath = (ref: AppRef, version: string): string =>
    manageAppPath(ref, `/versions/${encodeURIComponent(version)}/sync`);

  const show = async (
    req: Request,
    res: Response,
    extra: { error?: string; status?: number; draft?: Draft; preview?: boolean } = {},
  ): Promise<void> => {
    const ctx = res.locals.web;
    const me = signedIn(ctx);
    const ref = refOf(req);
    await s.access.manageable(me, ref);
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    const page = await renderManageApp(ctx, s, {
      app: await s.apps.get(me, ref),
      versions: await s.versions.list(me, ref),
      screenshots: await s.screenshots.list(me, ref),
      ...(extra.error ? { error: extra.error } : done ? { done } : {}),
      ...(extra.draft ? { draft: extra.draft } : {}),
      preview: extra.preview ?? false,
    });
    res
      .status(extra.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(page);
  };

  /** Runs an action; on a StoreError shows the page again with its message. */
  const act =
    (handler: (req: Request, res: Response, ref: AppRef) => Promise<string> | string) =>
    async (req: Request, res: Response) => {
      const ref = refOf(req);
      try {
        // A notice code for the management page, or a path of its own to go to.
        const done = await handler(req, res, ref);
        res.redirect(303, done.startsWith('/') ? done : `${manageAppPath(ref)}?done=${done}`);
      } catch (err) {
        if (
          !(err instanceof StoreError) ||
          err.status >= 500 ||
          err.code === 'not_found' ||
          err.code === 'unauthorized'
        )
          throw err;
        await show(req, res, { error: err.message, status: err.status });
      }
    };
  const caller = (req: Request, res: Response) => ({
    principal: signedIn(res.locals.web),
    address: addressOf(req),
  });

  router.get(base, (req, res) => show(req, res));

  router.post(base, async (req, res) => {
    const form = formOf(req);
    const draft = draftOf(form);
    const preview = field(form, 'action') === 'preview';
    const parsed = Change.safeParse({
      ...draft,
      tags: splitList(draft.tags),
      categories: splitList(draft.categories),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return show(req, res, {
        draft,
        preview,
        status: 400,
        error: `${String(issue?.path[0] ?? 'form')}: ${issue?.message ?? 'not valid'}`,
      });
    }
    if (preview) return show(req, res, { draft, preview: true });
    await act(async () => {
      await s.apps.update(caller(req, res), refOf(req), parsed.data satisfies AppFields);
      return 'saved';
    })(req, res);
  });

  router.post(
    `${base}/logo`,
    act(async (req, res, ref) => {
      const file = uploadOf(req, 'logo'); // read and CSRF-checked by the router (index.ts)
      if (!file) throw new StoreError('invalid', 'Choose an image file first.');
      if (file.bytes.length > MAX_LOGO_BYTES)
        throw new StoreError('too_large', `The logo must be ${LOGO_RULE}.`);
      await s.apps.setLogo(caller(req, res), ref, file.bytes);
      return 'logo';
    }),
  );

  router.post(
    `${base}/screenshots`,
    act(async (req, res, ref) => {
      const file = uploadOf(req, 'screenshot'); // read and CSRF-checked by the router (index.ts)
      if (!file) throw new StoreError('invalid', 'Choose an image file first.');
      await s.screenshots.add(caller(req, res), ref, file.bytes, field(formOf(req), 'caption'));
      return 'screenshot';
    }),
  );

  router.post(
    `${base}/screenshots/:id/delete`,
    act(async (req, res, ref) => {
      const id = Number(req.params.id);
      if (!Number.isSafeInteger(id)) throw new StoreError('not_found', 'No such screenshot.');
      await s.screenshots.remove(caller(req, res), ref, id);
      return 'screenshot-removed';
    }),
  );

  router.post(
    `${base}/shelf`,
    act(async (req, res, ref) => {
      const listed = field(formOf(req), 'listed') === 'true';
      await s.apps.setListed(caller(req, res), ref, listed);
      return listed ? 'listed' : 'unlisted';
    }),
  );

  // A new version from an uploaded template: written as the Rainstore API's publishing writes
  // it (images on this store bound by digest); one with images elsewhere is a draft, whose
  // sync starts at once and whose page shows it.
  router.post(
    `${base}/versions`,
    act(async (req, res, ref) => {
      const file = uploadOf(req, 'template'); // read and CSRF-checked by the router (index.ts)
      if (!file) throw new StoreError('invalid', 'Choose a template file (JSON) first.');
      if (file.bytes.length > MAX_TEMPLATE_BYTES)
        throw new StoreError(
          'too_large',
          `A template is at most ${MAX_TEMPLATE_BYTES / 1024 / 1024} MiB.`,
        );
      const form = formOf(req);
      const me = signedIn(res.locals.web);
      const app = await s.access.manageable(me, ref);
      const template = file.bytes.toString('utf8');
      const version = field(form, 'version').trim() || groupVersionOf(template);
      if (!version)
        throw new StoreError(
          'invalid',
          'Give the version: the template names none (group_version).',
        );
      const row = await s.publisher.publish(
        app,
        {
          version,
          versionAlias: '',
          description: field(form, 'description').slice(0, 4096),
          rainbondVersion: '',
          arch: 'amd64',
          isPlugin: false,
          template,
        },
        {
          principal: me,
          address: addressOf(req),
          hub: hubHostOf(s.deps.publicUrl, req),
          ownHosts: ownHostsOf(s.deps.publicUrl, req),
        },
      );
      if (row.state !== 'draft') return 'version-uploaded';
      const sync = s.deps.sync;
      if (!sync) return 'version-draft';
      await sync.publish(me, { ...ref, version }, credentialsOf(form), req.get('host'));
      return syncPath(ref, version);
    }),
  );

  router.post(
    `${base}/versions/:version/publish`,
    act(async (req, res, ref) => {
      const sync = s.deps.sync;
      if (!sync)
        throw new StoreError('unavailable', 'Publishing drafts is not available on this store.');
      const form = formOf(req);
      const version = String(req.params.version);
      await sync.publish(
        signedIn(res.locals.web),
        { ...ref, version },
        credentialsOf(form),
        req.get('host'),
      );
      return syncPath(ref, version); // where its progress shows
    }),
  );

  router.get(`${base}/versions/:version/sync`, async (req, res) => {
    const ref = refOf(req);
    const me = signedIn(res.locals.web);
    await s.access.manageable(me, ref);
    const sync = s.deps.sync;
    if (!sync) throw new StoreError('not_found', 'Publishing is not set up on this store.');
    const job = await sync.status(me, { ...ref, version: String(req.params.version) });
    res.set('Cache-Control', 'no-store').send(renderSyncPage(res.locals.web, ref, job));
  });

  // Deleting asks first, saying what else changes (the packages that lose it, the shelf).
  router.get(`${base}/versions/:version/delete`, async (req, res) => {
    const ref = refOf(req);
    const plan = await s.versions.removal(caller(req, res), ref, String(req.params.version));
    res.set('Cache-Control', 'no-store').send(renderVersionRemoval(res.locals.web, ref, plan));
  });

  router.post(
    `${base}/versions/:version/delete`,
    act(async (req, res, ref) => {
      await s.versions.remove(caller(req, res), ref, String(req.params.version));
      return 'version-deleted';
    }),
  );

  router.post(
    `${base}/packages`,
    act(async (req, res, ref) => {
      const form = formOf(req);
      const versions = fieldList(form, 'versions');
      if (!versions.length)
        throw new StoreError('invalid', 'Choose the versions the package covers.');
      // The versions are listed newest first: an unnamed package is named after the first chosen.
      const name =
        field(form, 'name').trim() ||
        versions[0]!
          .replace(/[^a-zA-Z0-9._-]/g, '-')
          .replace(/^[.-]+/, '')
          .slice(0, 64) ||
        'package';
      await s.packages.create(caller(req, res), ref, { name, type: 'free', versions });
      return 'package';
    }),
  );

  const hooks = s.deps.webhooks;
  if (hooks) {
    const scopeOf = (req: Request) => ({
      namespace: String(req.params.ns),
      app: String(req.params.app),
    });
    const withHooks =
      (action: (req: Request, res: Response, h: WebhookService) => Promise<string> | string) =>
      (req: Request, res: Response) =>
        action(req, res, hooks);
    router.post(`${base}/webhooks`, act(withHooks(webhookActions.create(scopeOf))));
    router.post(`${base}/webhooks/:id/delete`, act(withHooks(webhookActions.remove(scopeOf))));
    router.post(
      `${base}/webhooks/:id/deliveries/:delivery/redeliver`,
      act(withHooks(webhookActions.redeliver(scopeOf))),
    );
  }

  router.post(
    `${base}/packages/:package/delete`,
    act(async (req, res, ref) => {
      await s.packages.remove(caller(req, res), ref, String(req.params.package));
      return 'package-deleted';
    }),
  );
}

function draftOf(form: Fields): Draft {
  return {
    displayName: field(form, 'displayName'),
    summary: field(form, 'summary'),
    introduction: field(form, 'introduction').replace(/\r\n/g, '\n'),
    tags: field(form, 'tags'),
    categories: field(form, 'categories'),
    homeUrl: field(form, 'homeUrl').trim(),
    sourceUrl: field(form, 'sourceUrl').trim(),
  };
}
