/**
 * A search endpoint on either engine, for the search tests that run on both
 * (docs/decisions/0003, package I). SQLite: the whole test server, as the SQLite-only suites
 * use. PostgreSQL: only the search route over a PostgreSQL store (the other modules of the app
 * are not ported yet), the same `/api/v1/search` and error format; a request is anonymous, or the admin with the
 * test server's admin key.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import type { SQL } from 'drizzle-orm';
import { ANONYMOUS, type Principal } from '../../server/auth/principal.js';
import { users } from '../../server/db/schema.pg.js';
import { StoreError } from '../../server/errors.js';
import { apiErrorHandler } from '../../server/http/api-errors.js';
import { searchRoutes } from '../../server/routes/search.js';
import { searchRepository } from '../../server/search/open-search.js';
import { SearchService } from '../../server/search/search-service.js';
import type { DialectName } from '../helpers/dialects.js';
import { openPgCopy } from '../helpers/dialects.js';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { insertApp, insertPgApp, insertUser, type AppFixture } from './search-fixtures.js';

export interface SearchServer {
  url: string;
  insert(f: AppFixture): Promise<number>;
  insertUser(name: string, displayName: string): Promise<void>;
  /** A statement written for both engines (`listed = false`, not `listed = 0`). */
  run(statement: SQL): Promise<void>;
  close(): Promise<void>;
}

/** The PostgreSQL run's only key: the admin's, as the test server's config has it. */
const ADMIN: Principal = { kind: 'user', userId: 1, name: 'admin', role: 'admin' };

export async function startSearchServer(dialect: DialectName): Promise<SearchServer> {
  if (dialect === 'sqlite') {
    const srv = await startTestServer();
    return {
      url: srv.url,
      insert: (f) => Promise.resolve(insertApp(srv.app.db, f)),
      insertUser: (name, displayName) => Promise.resolve(insertUser(srv.app.db, name, displayName)),
      run: (statement) => Promise.resolve(void srv.app.db.run(statement)),
      close: () => srv.close(),
    };
  }
  const { store, drop } = await openPgCopy();
  const service = new SearchService({ repository: searchRepository(store), clock: Date.now });
  const app = express();
  app.use((req, res, next) => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (key !== undefined && key !== ADMIN_KEY)
      throw new StoreError('unauthorized', 'unknown access key');
    res.locals.principal = key === undefined ? ANONYMOUS : ADMIN;
    next();
  });
  app.use('/api/v1/search', searchRoutes(service));
  app.use(apiErrorHandler(pino({ level: 'silent' })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    insert: (f) => insertPgApp(store, f),
    insertUser: async (name, displayName) => {
      await store.db.insert(users).values({ name, displayName, createdAt: Date.now() });
    },
    run: async (statement) => {
      await store.db.execute(statement);
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
      await drop();
    },
  };
}
