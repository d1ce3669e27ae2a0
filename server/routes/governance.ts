/**
 * /api/v1/namespaces/{namespace}/immutability: a namespace's immutability rules (issue 17 §2).
 * Anyone who may read the namespace sees them (installers may want to know a tag is fixed); only
 * its owners (and admins) change them. /api/v1/namespaces/{namespace}/usage: its storage against
 * its quota (§1), for its owners and admins. …/retention: its retention rules and runs (§3).
 * The checks and the audit are NamespaceRules' (shared with the web's rules page).
 */
import { Router, type Request } from 'express';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { ImmutabilityRules, RetentionRules, RetentionRunQuery } from '../../schemas/governance.js';
import type { NamespaceRules } from '../governance/namespace-rules.js';
import type { Quotas } from '../governance/quotas.js';
import type { RetentionScope } from '../governance/retention.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export function governanceRoutes(deps: {
  rules: NamespaceRules;
  quotas: Quotas;
  permissions: Permissions;
}): Router {
  const router = Router();
  const { rules } = deps;

  router.get('/:namespace/immutability', async (req, res) => {
    res.json(await rules.immutabilityOf(req.params.namespace));
  });

  router.put('/:namespace/immutability', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = await rules.existing(req.params.namespace);
    await rules.authorizeImmutability(me, namespace); // before validation: outsiders learn nothing
    const input = parseInput(ImmutabilityRules, req.body, 'immutability rules');
    await rules.setImmutability({ principal: me, address: addressOf(req) }, namespace, input);
    res.json(input);
  });

  // The namespace's storage against its quota: its owners' (and the admin's) to see.
  router.get('/:namespace/usage', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = await rules.existing(req.params.namespace);
    if (!(await deps.permissions.namespace(me, namespace, 'view-usage')))
      throw new StoreError('forbidden', `only an owner of ${namespace} may see its usage`);
    res.json(await deps.quotas.usage(namespace));
  });

  router.use(
    '/:namespace/retention',
    retentionRoutes(rules, async (req) => ({
      namespace: await rules.existing(String(req.params.namespace)),
    })),
  );

  return router;
}

/** Mounted at /api/v1/apps, before the app routes: an app's own retention rules. */
export function appRetentionRoutes(deps: {
  rules: NamespaceRules;
  appExists: (ns: string, app: string) => Promise<boolean>;
}): Router {
  const router = Router();
  router.use(
    '/:namespace/:app/retention',
    retentionRoutes(deps.rules, async (req) => {
      const namespace = String(req.params.namespace);
      const app = String(req.params.app);
      if (!(await deps.appExists(namespace, app)))
        throw new StoreError('not_found', `no app ${namespace}/${app}`);
      return { namespace, app };
    }),
  );
  return router;
}

/**
 * GET/PUT …/retention and POST …/retention/run. Rules and runs are the `govern` right's (owners,
 * admins): a run removes versions installers may rely on. Reading the rules takes `read`.
 */
function retentionRoutes(
  rules: NamespaceRules,
  scopeOf: (req: Request<Record<string, string>>) => RetentionScope | Promise<RetentionScope>,
): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    const me = requireUser(res.locals.principal);
    res.json(await rules.retentionOf(me, await scopeOf(req)));
  });

  router.put('/', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const scope = await scopeOf(req);
    await rules.authorize(me, scope, 'govern'); // before validation: outsiders learn nothing
    const input = parseInput(RetentionRules, req.body, 'retention rules');
    await rules.setRetention({ principal: me, address: addressOf(req) }, scope, input);
    res.json(input);
  });

  router.post('/run', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const scope = await scopeOf(req);
    await rules.authorize(me, scope, 'govern');
    const query = parseInput(RetentionRunQuery, req.query, 'retention run');
    const report = await rules.runRetention({ principal: me, address: addressOf(req) }, scope, {
      dryRun: query.dryRun === 'true',
      force: query.force === 'true',
    });
    res.json(report);
  });

  return router;
}
