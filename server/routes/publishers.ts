import { Router } from 'express';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Users } from '../accounts/users.js';
import type { Permissions } from '../auth/permissions.js';
import type { AppRepositories } from '../store/app-repository.js';
import { AppAccess } from '../store/app-access.js';
import { Publishers } from '../store/publishers.js';
import type { AppStats } from '../store/stats.js';

/** /api/v1/publishers/{name}: the marketplace's publisher page (profile, apps, totals). */
export function publisherRoutes(deps: {
  repos: AppRepositories;
  users: Users;
  namespaces: Namespaces;
  permissions: Permissions;
  stats: AppStats;
}): Router {
  const publishers = new Publishers({
    ...deps,
    access: new AppAccess(deps.repos, deps.permissions),
  });
  const router = Router();
  router.get('/:name', async (req, res) => {
    res.json(await publishers.page(res.locals.principal, req.params.name));
  });
  return router;
}
