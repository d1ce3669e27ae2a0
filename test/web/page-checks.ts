/**
 * What every page a browser test visits must hold, in one place: each form field has a label,
 * axe-core finds no serious or critical violation at 1280 and 375 px, nothing scrolls sideways
 * on a 375 px phone, and the page is kept as screenshots at both widths.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { axeViolations } from './axe.js';
import { atWidth, screenshots } from './browser.js';

/** Names of the visible form fields that no label (nor aria-label) names. */
const UNLABELLED = `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.name || e.id)`;

/** Checks the page as it is now; `name` names the failures and the screenshot files. */
export async function checkPage(page: Page, name: string): Promise<void> {
  expect(
    await page.evaluate<string[]>(UNLABELLED),
    `${name}: form fields without a label`,
  ).to.deep.equal([]);
  for (const width of [1280, 375])
    await atWidth(page, width, async () => {
      expect(await axeViolations(page), `${name} at ${width} px`).to.deep.equal([]);
      if (width === 375)
        expect(
          await page.evaluate<number>('document.documentElement.scrollWidth'),
          `${name}: page wider than a 375 px phone`,
        ).to.be.at.most(375);
    });
  await screenshots(page, name);
}
