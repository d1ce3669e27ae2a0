/**
 * Debian's chromium driven by playwright-core (never a downloaded browser): one persistent
 * context over a temp profile, and screenshots at desktop and phone widths.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const SCREENSHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');

/** The chromium on PATH; in CI a missing one is an error, elsewhere undefined (the test skips). */
export function findChromium(): string | undefined {
  const found = spawnSync('which', ['chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path) return path;
  if (process.env.CI === 'true')
    throw new Error('chromium is not installed; .ci/run must install it');
  return undefined;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'appshelf-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    const opened = context;
    return {
      context: opened,
      page,
      async close() {
        await opened.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Full-page screenshots of the current page at 1280 and 375 px wide. */
export async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Runs `run` with the page `width` px wide (a phone's height at 375), then back at 1280. */
export async function atWidth<T>(page: Page, width: number, run: () => Promise<T>): Promise<T> {
  await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
  try {
    return await run();
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

/**
 * Collects the page's script errors and console errors (CSP reports among them) into `into`,
 * except console messages `expected` accepts (a test's own refused request, say).
 */
export function watchProblems(
  page: Page,
  into: string[],
  expected: (message: ConsoleMessage) => boolean = () => false,
): void {
  page.on('pageerror', (e) => void into.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && !expected(m) && into.push(m.text())));
}
