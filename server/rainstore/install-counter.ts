/**
 * Installs counted from Rainstore (`forInstall=True`, `/cmd`): one per (caller, app, version) in
 * ten minutes, because the console fetches the template twice per install (preflight, then the
 * install itself) and retries.
 */
import type { AppStats } from '../store/stats.js';

const WINDOW_MS = 10 * 60_000;

export class InstallCounter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: { stats: AppStats; clock: () => number }) {}

  /** Counts an install of `version` of app `appId` by `who` unless counted in the window; true when counted. */
  count(who: string, appId: number, version: string): boolean {
    const now = this.deps.clock();
    for (const [key, at] of this.seen) if (now - at >= WINDOW_MS) this.seen.delete(key);
    const key = `${who}\n${appId}\n${version}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    this.deps.stats.install(appId);
    return true;
  }
}
