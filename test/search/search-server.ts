/**
 * A search endpoint on either engine, for the search tests that run on both
 * (docs/decisions/0003, package I). SQLite: the whole test server, as the SQLite-only suites
 * use. PostgreSQL: only the search route over a PostgreSQL store (the other modules of the app
 * are not ported yet), the same `/api/v1/search` and error format, every request anonymous.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { ANONYMOUS } from '../../server/auth/principal.js';
import { apiErrorHandler } from '../../server/http/api-errors.js';
import { searchRoutes } from '../../server/routes/search.js';
import { searchRepository } from '../../server/search/open-search.js';
import { SearchService } from '../../server/search/search-service.js';
import type { DialectName } from '../helpers/dialects.js';
import { openPgCopy } from '../helpers/dialects.js';
import { startTestServer } from '../helpers/server.js';
import { insertApp, insertPgApp, type AppFixture } from './search-fixtures.js';

export interface SearchServer {
  url: string;
  insert(f: AppFixture): Promise<number>;
  close(): Promise<void>;
}

export async function startSearchServer(dialect: DialectName): Promise<SearchServer> {
  if (dialect === 'sqlite') {
    const srv = await startTestServer();
    return {
      url: srv.url,
      insert: (f) => Promise.resolve(insertApp(srv.app.db, f)),
      close: () => srv.close(),
    };
  }
  const { store, drop } = await openPgCopy();
  const service = new SearchService({ repository: searchRepository(store), clock: Date.now });
  const app = express();
  app.use((_req, res, next) => {
    res.locals.principal = ANONYMOUS;
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
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
      await drop();
    },
  };
}
