/**
 * Installs counted from Rainstore (`forInstall=True`, `/cmd`): one per (caller, app, version) in
 * ten minutes, because the console fetches the template twice per install (preflight, then the
 * install itself) and retries.
 */
import type { AppStats } from '../store/stats.js';
import type { StoreEvents } from '../webhooks/store-events.js';

const WINDOW_MS = 10 * 60_000;

export class InstallCounter {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly deps: {
      stats: AppStats;
      clock: () => number;
      events?: StoreEvents | undefined;
    },
  ) {}

  /** Counts an install of `version` of `app` by `who` unless counted in the window; true when counted. */
  count(
    who: string,
    app: { id: number; namespace: string; name: string },
    version: string,
  ): boolean {
    const appId = app.id;
    const now = this.deps.clock();
    for (const [key, at] of this.seen) if (now - at >= WINDOW_MS) this.seen.delete(key);
    const key = `${who}\n${appId}\n${version}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    this.deps.stats.install(appId, version);
    this.deps.events?.emit({
      type: 'install',
      namespace: app.namespace,
      app: app.name,
      data: { repository: `${app.namespace}/${app.name}`, version, via: 'rainstore' },
    });
    return true;
  }
}
