import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { GENERATED } from '../scripts/gen-docs.js';

describe('docs: generated files match the code', () => {
  for (const [file, render] of Object.entries(GENERATED)) {
    it(`${file} is up to date (run npm run docs)`, () => {
      const onDisk = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      expect(onDisk).to.equal(render());
    });
  }
});
