/**
 * A real appshelf on a free port over a temp data folder, built by the same createApp and HTTP
 * server as main.ts. APPSHELF_TEST_STORAGE=s3 puts every such store's blobs on S3 (one s3rver for
 * the whole run, a key prefix per data folder) instead of the fs driver: the same tests then run
 * on both. APPSHELF_TEST_DATABASE=postgres puts every such store's rows in PostgreSQL (one
 * server for the run, a database per data folder, see dialects.ts) instead of SQLite in <data>.
 */
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type AppInstance } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { listenForMetrics } from '../../server/main.js';
import { createHttpServer } from '../../server/http-server.js';
import { createLogger } from '../../server/logger.js';
import type { ConfigInput } from '../../schemas/config.js';
import { dropPgDatabase, pgDatabaseUrl } from './dialects.js';
import { s3Storage, startS3rver, type S3Server } from './s3rver.js';

export const ADMIN_KEY = 'ask_test-admin-key-0123456789abcdef';

/**
 * Tests sync from registries on this machine, which the outbound policy refuses by default: the
 * test store opts in to loopback. A test of the default policy passes `sync: { allowHosts: [] }`.
 */
export const LOOPBACK_REGISTRIES = ['127.0.0.0/8', '::1', 'localhost'];

/** The storage driver test stores use unless a test sets one: fs, or s3 (APPSHELF_TEST_STORAGE). */
export const TEST_STORAGE = process.env.APPSHELF_TEST_STORAGE === 's3' ? 's3' : 'fs';

let sharedS3: Promise<S3Server> | undefined;

/** The s3rver all test stores of this run share (started on first need, stopped at exit). */
export function testS3(): Promise<S3Server> {
  sharedS3 ??= startS3rver().then((s3) => {
    process.once('exit', () => {
      s3.process.kill();
      rmSync(s3.dir, { recursive: true, force: true });
    });
    return s3;
  });
  return sharedS3;
}

async function storageFor(data: string): Promise<ConfigInput['storage']> {
  if (TEST_STORAGE === 'fs') return undefined;
  // One prefix per data folder: a store restarted on the same folder finds its blobs again.
  return s3Storage(await testS3(), `${basename(data)}/`);
}

/** The database test stores use unless a test sets one: SQLite, or postgres (APPSHELF_TEST_DATABASE). */
export const TEST_DATABASE =
  process.env.APPSHELF_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL database of a data folder: one per folder, as its S3 prefix. */
const pgDatabaseOf = (data: string): string =>
  `store_${basename(data)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')}`;

async function databaseFor(data: string): Promise<ConfigInput['database']> {
  if (TEST_DATABASE === 'sqlite') return undefined;
  return { url: await pgDatabaseUrl(pgDatabaseOf(data)) };
}

export interface TestServer {
  url: string;
  /** host:port, as registry clients name the registry. */
  host: string;
  /** The separate metrics listener's base URL, when the overrides set `metrics.listen`. */
  metricsUrl?: string;
  data: string;
  app: AppInstance;
  server: Server;
  /** Everything the server logged, one JSON object per line. */
  logs: string[];
  close(): Promise<void>;
}

/** `data`: keep the data folder (the caller removes it); `clock`: the server's time, for tests that move it on. */
export async function startTestServer(
  overrides: Partial<ConfigInput> = {},
  options: { data?: string; clock?: () => number } = {},
): Promise<TestServer> {
  const data = options.data ?? (await mkdtemp(join(tmpdir(), 'appshelf-test-')));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const storage = overrides.storage ?? (await storageFor(data));
  const database = overrides.database ?? (await databaseFor(data));
  const config = parseConfig({
    ...overrides,
    ...(storage && { storage }),
    ...(database && { database }),
    data,
    listen: '127.0.0.1:0',
    auth: { adminKey: ADMIN_KEY, ...overrides.auth },
    sync: { allowHosts: LOOPBACK_REGISTRIES, ...overrides.sync },
  });
  const app = await createApp(config, {
    log: createLogger(process.env.APPSHELF_TEST_LOG ?? 'info', sink),
    print: (l) => logs.push(l),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const server = createHttpServer(app.handler, config.server).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const metricsServer = await listenForMetrics(app);
  const metricsPort = (metricsServer?.address() as AddressInfo | undefined)?.port;
  app.listeningOn(server.address() as AddressInfo);
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    ...(metricsPort !== undefined ? { metricsUrl: `http://127.0.0.1:${metricsPort}` } : {}),
    data,
    app,
    server,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      metricsServer?.closeAllConnections();
      await Promise.all(
        [server, metricsServer].map(
          (s) => new Promise<void>((done) => (s ? s.close(() => done()) : done())),
        ),
      );
      await app.shutdown();
      if (options.data) return; // the caller keeps the folder, and with it the store's rows
      await rm(data, { recursive: true, force: true });
      if (TEST_DATABASE === 'postgres' && !overrides.database)
        await dropPgDatabase(pgDatabaseOf(data));
    },
  };
}
