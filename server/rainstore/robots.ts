/**
 * Each app's robot: the push credentials the Rainstore API hands out (`apphubinfo`), limited to
 * that app by the permission module (user `robot$<appKey>`, see permissions.ts). A push-scoped key
 * that expires after 25 hours (the console may retry a share event for 24 h). Calls within the
 * first hour get the same key back, so one publish (one call per component and plugin) mints one
 * key; the secret is kept in memory only.
 *
 * Pull credentials are not the robot's: an install template carries the installer's own
 * (server/auth/pull-credentials.ts).
 */
import type { UserRepository } from '../accounts/user-repository.js';
import type { AccessKeys } from '../auth/access-keys.js';
import { robotName } from '../auth/permissions.js';
import type { AppRow } from '../store/app-access.js';

const PUSH_TTL_MS = 25 * 3600_000;
const PUSH_REUSE_MS = 3600_000;

export interface RegistryCredentials {
  user: string;
  password: string;
}

export class Robots {
  private readonly pushKeys = new Map<string, RegistryCredentials & { mintedAt: number }>();

  constructor(
    private readonly deps: { users: UserRepository; keys: AccessKeys; clock: () => number },
  ) {}

  async pushCredentials(app: AppRow): Promise<RegistryCredentials> {
    const now = this.deps.clock();
    const cached = this.pushKeys.get(app.appKey);
    if (
      cached &&
      now - cached.mintedAt < PUSH_REUSE_MS &&
      (await this.deps.keys.authenticate(cached.password, cached.user))
    ) {
      return { user: cached.user, password: cached.password };
    }
    const robot = await this.deps.users.ensureRobot(
      robotName(app.appKey),
      `robot of ${app.namespace}/${app.name}`,
      now,
    );
    const { key } = await this.deps.keys.create(robot.id, 'rainstore push', ['push'], {
      expiresAt: now + PUSH_TTL_MS,
    });
    for (const [appKey, entry] of this.pushKeys)
      if (now - entry.mintedAt >= PUSH_REUSE_MS) this.pushKeys.delete(appKey);
    this.pushKeys.set(app.appKey, { user: robot.name, password: key, mintedAt: now });
    return { user: robot.name, password: key };
  }
}
