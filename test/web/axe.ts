/**
 * axe-core accessibility checks in the test browser: the engine is evaluated into the page over
 * the DevTools protocol (the pages' CSP refuses inline script, so no script tag), then run; a
 * serious or critical violation fails the test with the rule, its help and the offending nodes.
 * The engine comes from the `axe-core` package, or from `AXE_CORE_SOURCE` (a path to axe.min.js);
 * in CI a missing engine is an error, elsewhere the check is left out with a note.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

let source: string | null | undefined;

function axeSource(): string | null {
  if (source !== undefined) return source;
  const path = process.env.AXE_CORE_SOURCE || resolveAxe();
  if (!path && process.env.CI === 'true')
    throw new Error('axe-core is not installed (devDependency axe-core)');
  source = path ? readFileSync(path, 'utf8') : null;
  if (!source) console.warn('      (axe-core not installed: accessibility checks left out)');
  return source;
}

function resolveAxe(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  } catch {
    return undefined;
  }
}

/** The serious and critical violations on the page, as readable lines (empty: none). */
export async function axeViolations(page: Page): Promise<string[]> {
  const engine = axeSource();
  if (!engine) return [];
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(engine);
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
}
