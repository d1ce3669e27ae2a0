import { existsSync, readFileSync } from 'node:fs';
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

describe('docs: the README is whole inside the repository', () => {
  const root = new URL('../', import.meta.url);
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  // File paths it names: `docs/cli.md`, `server/web/README.md`, [text](docs/x.md).
  const named = [
    ...readme.matchAll(/`((?:\.\.\/|[\w.-]+\/)[\w./-]*\.(?:md|ts|yml|json))`/g),
    ...readme.matchAll(/\]\((?!https?:|#)([^)\s]+)\)/g),
  ].map((m) => m[1]!);

  it('names files, and only files inside the repository', () => {
    expect(named.length).to.be.greaterThan(3);
    expect(named.filter((p) => p.startsWith('../') || p.startsWith('/'))).to.deep.equal([]);
    expect(named.filter((p) => !existsSync(new URL(p, root)))).to.deep.equal([]);
  });
});
