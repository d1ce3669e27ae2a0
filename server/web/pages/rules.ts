/**
 * A namespace's rules page, `/my/namespaces/{namespace}/rules` (owners and admins: the `govern`
 * right): its immutability rules, its retention rules, a dry run that lists what would go and why
 * (`?plan=dry`: it changes nothing, so it is a GET), and a real run whose outcome the page shows
 * from the audit log after the redirect. Every change goes through NamespaceRules, as the store
 * API's do. Forms post here (CSRF-checked by the router) and come back with a notice.
 */
import type { Request, Response, Router } from 'express';
import {
  ImmutabilityRules,
  RetentionRules,
  type RetentionReport,
} from '../../../schemas/governance.js';
import type { NamespaceRules, RulesCaller } from '../../governance/namespace-rules.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import { signedIn } from '../context.js';
import { formOf, type Fields } from '../form.js';
import { html } from '../html.js';
import { notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import {
  immutabilityFields,
  immutabilityOf,
  immutabilitySection,
  lastRunSection,
  planSection,
  retentionFields,
  retentionOf,
  retentionSection,
  RULES_DONE,
} from './rules-view.js';

/** A refused form and what was typed into it. */
interface Typed {
  form: 'immutability' | 'retention';
  fields: Fields;
}

export function namespaceRulesPath(namespace: string): string {
  return `/my/namespaces/${encodeURIComponent(namespace)}/rules`;
}

export function namespaceRulesRoutes(router: Router, s: WebServices): void {
  const rules = s.deps.rules;
  if (!rules) return;
  const base = '/my/namespaces/:ns/rules';

  /** The namespace of the path, when it exists and the signed-in user governs it. */
  const scopeOf = async (
    req: Request,
    res: Response,
  ): Promise<{ namespace: string; caller: RulesCaller }> => {
    const principal = signedIn(res.locals.web);
    const namespace = await rules.existing(String(req.params.ns));
    if (!(await rules.mayGovern(principal, namespace)))
      throw new StoreError('forbidden', `Only an owner of ${namespace} sets its rules.`);
    return { namespace, caller: { principal, address: addressOf(req) } };
  };

  const show = async (
    req: Request,
    res: Response,
    extra: { error?: string; status?: number; typed?: Typed } = {},
  ) => {
    const ctx = res.locals.web;
    const { namespace, caller } = await scopeOf(req, res);
    const immutability = await rules.immutabilityOf(namespace);
    const me = caller.principal;
    const scope = { namespace };
    const lastRun = await rules.lastRun(me, scope);
    const retention = await rules.retentionOf(me, scope);
    let plan: RetentionReport | undefined;
    if (!extra.error && req.method === 'GET' && req.query.plan === 'dry')
      plan = await rules.runRetention(caller, scope, { dryRun: true, force: false });
    const done = typeof req.query.done === 'string' ? RULES_DONE[req.query.done] : undefined;
    const path = namespaceRulesPath(namespace);
    // A refused form comes back as it was typed; the other shows the stored rules.
    const typedOr = (form: Typed['form'], stored: () => Fields): Fields =>
      extra.typed?.form === form ? extra.typed.fields : stored();
    const body = html`<div class="wrap namespace-rules">
<p class="crumbs"><a href="/my">My store</a> › <code>${namespace}</code></p>
<h1>Rules of ${namespace}</h1>
${notice(extra.error, 'error')}${extra.error ? '' : notice(done)}
${plan ? planSection(plan) : ''}
${immutabilitySection(
  ctx,
  path,
  typedOr('immutability', () => immutabilityFields(immutability)),
)}
${retentionSection(
  ctx,
  path,
  typedOr('retention', () => retentionFields(retention)),
)}
${lastRunSection(lastRun)}
</div>`;
    res
      .status(extra.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: `Rules of ${namespace}`,
          description: `The immutability and retention rules of ${namespace}.`,
          noindex: true,
          body,
        }),
      );
  };

  const act =
    (
      form: Typed['form'] | undefined,
      handler: (
        req: Request,
        rules: NamespaceRules,
        scope: Awaited<ReturnType<typeof scopeOf>>,
      ) => Promise<string> | string,
    ) =>
    async (req: Request, res: Response) => {
      const scope = await scopeOf(req, res); // a stranger's or a missing namespace: the error page
      try {
        const done = await handler(req, rules, scope);
        res.redirect(303, `${namespaceRulesPath(scope.namespace)}?done=${done}`);
      } catch (err) {
        if (!(err instanceof StoreError) || err.status >= 500) throw err;
        const typed = form ? { typed: { form, fields: formOf(req) } } : {};
        await show(req, res, { error: err.message, status: err.status, ...typed });
      }
    };

  router.get(base, (req, res) => show(req, res));
  router.post(
    `${base}/immutability`,
    act('immutability', async (req, r, { namespace, caller }) => {
      const input = parseInput(
        ImmutabilityRules,
        immutabilityOf(formOf(req)),
        'immutability rules',
      );
      await r.setImmutability(caller, namespace, input);
      return 'immutability-saved';
    }),
  );
  router.post(
    `${base}/retention`,
    act('retention', async (req, r, { namespace, caller }) => {
      const input = parseInput(RetentionRules, retentionOf(formOf(req)), 'retention rules');
      await r.setRetention(caller, { namespace }, input);
      return 'retention-saved';
    }),
  );
  router.post(
    `${base}/run`,
    act(undefined, async (_req, r, { namespace, caller }) => {
      await r.runRetention(caller, { namespace }, { dryRun: false, force: false });
      return 'ran';
    }),
  );
}
