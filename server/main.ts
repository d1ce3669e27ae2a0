/** `npm start`: load config.yml (+ APPSHELF_* overrides), build the store, listen. */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.js';
import { createApp, type AppInstance } from './app.js';
import { createHttpServer } from './http-server.js';

export async function serve(configFile: string | undefined): Promise<void> {
  let config;
  let app;
  try {
    config = loadConfig(configFile);
    // A valid config this build cannot serve (database.url) is refused as a bad one is.
    app = await createApp(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`appshelf: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const server = createHttpServer(app.handler, config.server);
  const [host, port] = splitListen(config.listen);
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  if (typeof address === 'object' && address) app.listeningOn(address);
  const shownPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '' ? 'localhost' : host;
  app.log.info(
    { url: `http://${shownHost}:${shownPort}`, data: config.data },
    `appshelf listening on http://${shownHost}:${shownPort}`,
  );
  const metricsServer = await listenForMetrics(app);
  if (metricsServer) app.log.info({ listen: config.metrics.listen }, 'metrics listening');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    server.close(() => {
      void app.shutdown().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 30_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Starts the separate /metrics listener on `metrics.listen`, when the config sets one. */
export async function listenForMetrics(app: AppInstance): Promise<Server | undefined> {
  const listen = app.config.metrics.listen;
  if (!app.metricsHandler || listen === undefined) return undefined;
  const [host, port] = splitListen(listen);
  const server = createServer(app.metricsHandler).listen(port, host);
  await once(server, 'listening');
  return server;
}

export function splitListen(listen: string): [string, number] {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return [host, Number(listen.slice(colon + 1))];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // config.yml of the working folder (the checkout, for `npm start`); defaults if there is none.
  const file = process.env.APPSHELF_CONFIG ?? (existsSync('config.yml') ? 'config.yml' : undefined);
  await serve(file);
}
