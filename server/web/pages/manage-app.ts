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
import type { AppFields } from '../../store/app-service.js';
import type { AppRef } from '../../store/version-index.js';
import { signedIn } from '../context.js';
import { field, formOf, splitList, uploadOf, type Fields } from '../form.js';
import type { WebServices } from '../services.js';
import { manageAppPath } from './parts.js';
import { renderManageApp, type Draft } from './manage-app-view.js';
import type { WebhookService } from '../../webhooks/webhook-service.js';
import { webhookActions } from './webhooks.js';
import { hooksOf, WEBHOOK_DONE } from './webhooks-view.js';

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

const DONE: Record<string, string> = {
  created: 'The app is created. Push a version to it, then put it on the shelf.',
  saved: 'Saved.',
  logo: 'The logo is changed.',
  listed: 'The app is listed: it is on the shelf when it has a package.',
  unlisted: 'The app is no longer listed.',
  publishing: 'Publishing started: the images are being copied into the store.',
  'version-deleted': 'The version is deleted.',
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
    const app = await s.apps.get(me, ref);
    const page = renderManageApp(ctx, s, {
      app,
      hooks: await hooksOf(s, ctx, { namespace: app.namespace, app: app.name }),
      versions: await s.versions.list(me, ref),
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
        const done = await handler(req, res, ref);
        res.redirect(303, `${manageAppPath(ref)}?done=${done}`);
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
    `${base}/shelf`,
    act(async (req, res, ref) => {
      const listed = field(formOf(req), 'listed') === 'true';
      await s.apps.setListed(caller(req, res), ref, listed);
      return listed ? 'listed' : 'unlisted';
    }),
  );

  router.post(
    `${base}/versions/:version/publish`,
    act(async (req, res, ref) => {
      const sync = s.deps.sync;
      if (!sync)
        throw new StoreError('unavailable', 'Publishing drafts is not available on this store.');
      const form = formOf(req);
      const registry = field(form, 'registry').trim();
      const credentials = registry
        ? [{ registry, username: field(form, 'username'), password: field(form, 'password') }]
        : [];
      if (
        registry.length > 255 ||
        field(form, 'username').length > 256 ||
        field(form, 'password').length > 4096
      )
        throw new StoreError('invalid', 'The registry login is too long.');
      await sync.publish(
        signedIn(res.locals.web),
        { ...ref, version: String(req.params.version) },
        credentials.length ? { credentials } : {},
        req.get('host'),
      );
      return 'publishing';
    }),
  );

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
      const version = field(formOf(req), 'version');
      if (!version) throw new StoreError('invalid', 'Choose a version for the package.');
      const name =
        version
          .replace(/[^a-zA-Z0-9._-]/g, '-')
          .replace(/^[.-]+/, '')
          .slice(0, 64) || 'package';
      await s.packages.create(caller(req, res), ref, { name, type: 'free', versions: [version] });
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
