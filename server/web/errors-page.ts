/** Error and not-found pages: the status, a plain message, and a way on. */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';
import type { WebContext } from './context.js';
import { html } from './html.js';
import { renderPage } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'That request is not valid',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'That clashes with something',
  413: 'Too large',
  429: 'Too many requests',
  503: 'Unavailable for a moment',
};

export function sendErrorPage(
  res: Response,
  ctx: WebContext,
  status: number,
  message: string,
): void {
  const title = TITLES[status] ?? 'Something went wrong';
  const body = html`<div class="wrap narrow error-page">
<p class="status">${status}</p>
<h1>${title}</h1>
<p>${message}</p>
<p><a href="/">Go to the marketplace</a> · <a href="/search">Browse all apps</a>${ctx.user ? '' : html` · <a href="/login?next=${encodeURIComponent(ctx.here)}">Sign in</a>`}</p>
</div>`;
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .send(renderPage(ctx, { title, description: message, noindex: true, body }));
}

export function notFoundMessage(req: Request): string {
  return `There is nothing at ${req.path}. It may have moved, or it is not shared with you.`;
}

/** The pages' error handler: StoreErrors show their message; anything else is logged and hidden. */
export function webErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const ctx = res.locals.web as WebContext | undefined;
    if (!ctx || res.headersSent) return void next(err);
    const status = (err as { status?: unknown } | undefined)?.status;
    if (
      err instanceof StoreError &&
      err.code === 'unauthorized' &&
      req.method === 'GET' &&
      !ctx.user
    ) {
      return void res.redirect(303, `/login?next=${encodeURIComponent(ctx.here)}`);
    }
    if (err instanceof StoreError) {
      if (err.status >= 500) log.error({ err }, 'web page failed');
      const message =
        err.code === 'not_found'
          ? notFoundMessage(req)
          : err.code === 'unauthorized'
            ? 'Sign in to see this page.'
            : err.message;
      return void sendErrorPage(res, ctx, err.status, message);
    }
    if (status === 400 || status === 413)
      return void sendErrorPage(
        res,
        ctx,
        status,
        status === 413 ? 'The form was too large.' : 'The form could not be read.',
      );
    log.error({ err }, 'web page failed');
    sendErrorPage(
      res,
      ctx,
      500,
      'The store failed to make this page. Please try again; if it keeps failing, tell the operator.',
    );
  };
}
