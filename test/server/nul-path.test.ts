/**
 * The path check the store API, the Rainstore API and the web pages run on every request: a
 * `%00` in the path is the documented 400, one in the query or fragment is not the path's (a
 * search for it answers as any search does). Over HTTP, in each API's format: nul-input.test.ts.
 */
import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import { StoreError } from '../../server/errors.js';
import { refuseNulInPath } from '../../server/http/nul-path.js';

/** Whether the check refuses `url` (the router-relative `req.url`, as express hands it on). */
function refused(url: string): boolean {
  let passed = false;
  try {
    void refuseNulInPath(
      { url } as Request,
      {} as Response,
      (() => {
        passed = true;
      }) as NextFunction,
    );
  } catch (err) {
    expect(err).to.be.instanceOf(StoreError);
    expect((err as StoreError).code).to.equal('invalid');
    return true;
  }
  expect(passed, url).to.equal(true);
  return false;
}

describe('refuseNulInPath', () => {
  const cases: [string, boolean][] = [
    ['/apps/alice/blog', false],
    ['/apps/al%00ice/blog', true],
    ['/apps/alice/blog/versions/1%000', true],
    ['/%00', true],
    ['/apps/alice/blog%00?q=1', true],
    ['/search?q=bl%00og', false],
    ['/search?q=a&b=%00', false],
    ['/apps/alice#%00', false],
    ['/apps/alice?x=1#%00', false],
    ['/apps/al%2500ice', false], // the text `%00`, not a NUL
    ['/apps/al%0ice', false],
    ['/apps/al%ice', false],
  ];
  for (const [url, expected] of cases)
    it(`${expected ? 'refuses' : 'passes'} ${url}`, () => {
      expect(refused(url)).to.equal(expected);
    });
});
