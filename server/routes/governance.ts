/**
 * /api/v1/namespaces/{namespace}/immutability: a namespace's immutability rules (issue 17 §2).
 * Anyone who may read the namespace sees them (installers may want to know a tag is fixed); only
 * its owners (and admins) change them. /api/v1/namespaces/{namespace}/usage: its storage against
 * its quota (§1), for its owners and admins.
 */
import { Router } from 'express';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { ImmutabilityRules, type Immutability } from '../governance/immutability.js';
import type { Quotas } from '../governance/quotas.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export function governanceRoutes(deps: {
  immutability: Immutability;
  quotas: Quotas;
  namespaces: Namespaces;
  permissions: Permissions;
  audit: AuditLog;
}): Router {
  const router = Router();
  const existing = (name: string): string => {
    if (!deps.namespaces.exists(name)) throw new StoreError('not_found', `no namespace "${name}"`);
    return name;
  };

  router.get('/:namespace/immutability', (req, res) => {
    res.json(deps.immutability.rulesOf(existing(req.params.namespace)));
  });

  router.put('/:namespace/immutability', (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = existing(req.params.namespace);
    if (!deps.permissions.namespace(me, namespace, 'govern'))
      throw new StoreError('forbidden', `only an owner of ${namespace} may change its rules`);
    const rules = parseInput(ImmutabilityRules, req.body, 'immutability rules');
    deps.immutability.setRules(namespace, rules);
    deps.audit.record({
      actor: me.name,
      action: 'namespace.immutability_set',
      target: namespace,
      address: addressOf(req),
      detail: rules,
    });
    res.json(rules);
  });

  // The namespace's storage against its quota: its owners' (and the admin's) to see.
  router.get('/:namespace/usage', (req, res) => {
    const me = requireUser(res.locals.principal);
    const namespace = existing(req.params.namespace);
    if (!deps.permissions.namespace(me, namespace, 'view-usage'))
      throw new StoreError('forbidden', `only an owner of ${namespace} may see its usage`);
    res.json(deps.quotas.usage(namespace));
  });

  return router;
}
