#!/usr/bin/env node
// The `appshelf` command. Runs the build (dist/cli/main.js) when there is one; in a checkout
// without a build (right after `npm ci`) it loads the TypeScript sources through tsx instead.
// APPSHELF_CLI_SOURCE=1 always runs the sources (the tests do, so a stale build never hides a change).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
let cli;
if (process.env.APPSHELF_CLI_SOURCE !== '1' && existsSync(built)) {
  cli = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../cli/main.ts', import.meta.url).href);
}
await cli.run();
