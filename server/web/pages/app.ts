/**
 * An app's pages, one URL per tab: `/apps/{ns}/{app}` (overview), `.../versions`, one version at
 * `.../versions/{version}` (its template raw at `.../versions/{version}/template.json`),
 * `.../components` and `.../template` (both take `?version=`). Only the overview counts a visit.
 */
import type { Router } from 'express';
import { addressOf } from '../../http/authenticate.js';
import { visitorOf } from '../../store/stats.js';
import type { WebServices } from '../services.js';
import { loadApp, pickVersion, renderAppPage } from './app-frame.js';
import {
  componentsTab,
  overviewTab,
  templateTab,
  versionDetail,
  versionPage,
  versionsTab,
} from './app-tabs.js';

export function appRoutes(router: Router, s: WebServices): void {
  router.get('/apps/:ns/:app', async (req, res) => {
    const ctx = res.locals.web;
    const p = ctx.principal;
    const ref = { namespace: String(req.params.ns), name: String(req.params.app) };
    await s.apps.visit(
      p,
      ref,
      visitorOf(
        p.kind === 'user' ? p.userId : undefined,
        addressOf(req),
        req.get('user-agent') ?? '',
      ),
    );
    const d = await loadApp(s, req, ctx);
    const stats = await s.apps.statistics(p, ref, 30);
    const screenshots = await s.screenshots.list(p, ref);
    res.send(
      renderAppPage(d, {
        tab: 'overview',
        main: overviewTab(d, stats.days, screenshots),
        installVersion: query(req.query['version']),
      }),
    );
  });

  router.get('/apps/:ns/:app/versions', async (req, res) => {
    const d = await loadApp(s, req, res.locals.web);
    const details = await Promise.all(d.versions.map((v) => versionDetail(s, d, v.version)));
    res.send(
      renderAppPage(d, {
        tab: 'versions',
        title: 'Versions',
        main: versionsTab(d, details),
        installVersion: query(req.query['version']),
      }),
    );
  });

  router.get('/apps/:ns/:app/versions/:version', async (req, res) => {
    const d = await loadApp(s, req, res.locals.web);
    const v = pickVersion(d, String(req.params.version));
    const detail = await versionDetail(s, d, v!.version);
    res.send(
      renderAppPage(d, {
        tab: 'versions',
        title: `Version ${v!.version}`,
        description: detail.changelog || undefined,
        main: versionPage(d, detail),
        installVersion: v!.version,
      }),
    );
  });

  router.get('/apps/:ns/:app/versions/:version/template.json', async (req, res) => {
    const d = await loadApp(s, req, res.locals.web);
    const v = pickVersion(d, String(req.params.version))!;
    const { template } = await s.versions.get(d.ctx.principal, d.ref, v.version);
    res
      .type('application/json')
      .set(
        'Content-Disposition',
        `attachment; filename="${d.app.name}-${v.version.replace(/[^\w.-]/g, '_')}-template.json"`,
      )
      .send(JSON.stringify(template, null, 2));
  });

  router.get('/apps/:ns/:app/components', async (req, res) => {
    const d = await loadApp(s, req, res.locals.web);
    const v = pickVersion(d, req.query['version']);
    res.send(
      renderAppPage(d, {
        tab: 'components',
        title: 'Components',
        main: componentsTab(d, v && (await versionDetail(s, d, v.version))),
        installVersion: v?.version,
      }),
    );
  });

  router.get('/apps/:ns/:app/template', async (req, res) => {
    const d = await loadApp(s, req, res.locals.web);
    const v = pickVersion(d, req.query['version']);
    res.send(
      renderAppPage(d, {
        tab: 'template',
        title: 'Template',
        main: templateTab(d, v && (await versionDetail(s, d, v.version))),
        installVersion: v?.version,
      }),
    );
  });
}

function query(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
