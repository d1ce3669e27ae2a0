/**
 * /api/v1/namespaces/{namespace}/immutability: a namespace's immutability rules (issue 17 §2).
 * Anyone who may read the namespace sees them (installers may want to know a tag is fixed); only
 * its owners (and admins) change them. /api/v1/namespaces/{namespace}/usage: its storage against
 * its quota (§1), for its owners and admins.
 */
import { Router, type Request, type Response } from 'express';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { ImmutabilityRules, type Immutability } from '../governance/immutability.js';
import {
  RetentionRules,
  RetentionRunQuery,
  type Retention,
  type RetentionScope,
} from '../governance/retention.js';
import type { Quotas } from '../governance/quotas.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export function governanceRoutes(deps: {
  immutability: Immutability;
  retention: Retention;
  quotas: Quotas;
  namespaces: Namespaces;
  permissions: Permissions;
  audit: AuditLog;
}): Router {
  const router = Router();
  const existing = async (name: string): Promise<string> => {
    if (!(await deps.namespaces.exists(name)))
      throw new StoreError('not_found', `no namespace "${name}"`);
    return name;
  };

  router.get('/:namespace/immutability', async (req, res) => {
    res.json(deps.immutability.rulesOf(await existing(req.params.namespace)));
  });

  router.put('/:namespace/immutability', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = await existing(req.params.namespace);
    if (!deps.permissions.namespace(me, namespace, 'govern'))
      throw new StoreError('forbidden', `only an owner of ${namespace} may change its rules`);
    const rules = parseInput(ImmutabilityRules, req.body, 'immutability rules');
    deps.immutability.setRules(namespace, rules);
    await deps.audit.record({
      actor: me.name,
      action: 'namespace.immutability_set',
      target: namespace,
      address: addressOf(req),
      detail: rules,
    });
    res.json(rules);
  });

  // The namespace's storage against its quota: its owners' (and the admin's) to see.
  router.get('/:namespace/usage', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = await existing(req.params.namespace);
    if (!deps.permissions.namespace(me, namespace, 'view-usage'))
      throw new StoreError('forbidden', `only an owner of ${namespace} may see its usage`);
    res.json(deps.quotas.usage(namespace));
  });

  router.use(
    '/:namespace/retention',
    retentionRoutes(deps, async (req) => ({
      namespace: await existing(String(req.params.namespace)),
    })),
  );

  return router;
}

/** Mounted at /api/v1/apps, before the app routes: an app's own retention rules. */
export function appRetentionRoutes(
  deps: RetentionDeps & { appExists: (ns: string, app: string) => boolean },
): Router {
  const router = Router();
  router.use(
    '/:namespace/:app/retention',
    retentionRoutes(deps, (req) => {
      const namespace = String(req.params.namespace);
      const app = String(req.params.app);
      if (!deps.appExists(namespace, app))
        throw new StoreError('not_found', `no app ${namespace}/${app}`);
      return { namespace, app };
    }),
  );
  return router;
}

interface RetentionDeps {
  retention: Retention;
  permissions: Permissions;
  audit: AuditLog;
}

/**
 * GET/PUT …/retention and POST …/retention/run. Rules and runs are the `govern` right's (owners,
 * admins): a run removes versions installers may rely on. Reading the rules takes `read`.
 */
function retentionRoutes(
  deps: RetentionDeps,
  scopeOf: (req: Request<Record<string, string>>) => RetentionScope | Promise<RetentionScope>,
): Router {
  const router = Router({ mergeParams: true });
  const target = (s: RetentionScope): string => (s.app ? `${s.namespace}/${s.app}` : s.namespace);
  const allowed = async (
    req: Request<Record<string, string>>,
    res: Response,
    action: 'read' | 'govern',
  ) => {
    const me = requireUser(res.locals.principal);
    const scope = await scopeOf(req);
    if (!deps.permissions.namespace(me, scope.namespace, action))
      throw new StoreError(
        'forbidden',
        action === 'read'
          ? `you may not see the rules of ${scope.namespace}`
          : `only an owner of ${scope.namespace} may change or run its retention rules`,
      );
    return { me, scope };
  };

  router.get('/', async (req, res) => {
    const { scope } = await allowed(req, res, 'read');
    res.json(deps.retention.rulesOf(scope));
  });

  router.put('/', async (req, res) => {
    const { me, scope } = await allowed(req, res, 'govern');
    const rules = parseInput(RetentionRules, req.body, 'retention rules');
    deps.retention.setRules(scope, rules);
    await deps.audit.record({
      actor: me.name,
      action: 'retention.rules_set',
      target: target(scope),
      address: addressOf(req),
      detail: rules,
    });
    res.json(rules);
  });

  router.post('/run', async (req, res) => {
    const { me, scope } = await allowed(req, res, 'govern');
    const query = parseInput(RetentionRunQuery, req.query, 'retention run');
    const report = await deps.retention.run(scope, {
      dryRun: query.dryRun === 'true',
      force: query.force === 'true',
      actor: me.name,
      address: addressOf(req),
    });
    if (!report.dryRun)
      await deps.audit.record({
        actor: me.name,
        action: 'retention.run',
        target: target(scope),
        address: addressOf(req),
        detail: {
          removed: report.removed.length,
          untagged: report.untagged.length,
          bytesFreed: report.gc?.bytesFreed ?? 0,
          force: query.force === 'true',
        },
      });
    res.json(report);
  });

  return router;
}
