// Starts the search worker from the TypeScript sources (development and tests, run through
// tsx): a worker thread does not inherit the parent's loader hooks, so it registers tsx itself.
// The build compiles term-worker.ts to term-worker.js, which is started directly.
const { register } = await import('tsx/esm/api');
register();
await import('./term-worker.ts');
