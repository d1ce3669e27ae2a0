/**
 * The node:http server the store listens with (`main.ts` and the tests build it here), and its
 * timeouts. An upload of many gigabytes over a slow link may take an hour and must not be cut as
 * long as bytes move, so there is no whole-request timeout (node's `requestTimeout` of 300 s would
 * cut it). What is cut is a connection that stands still: nothing read from or written to the
 * client for `idleTimeoutSeconds`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node's own default: the request line and headers must arrive within a minute. */
const HEADERS_TIMEOUT_MS = 60_000;
/** Longer than the 60 s idle timeout of common load balancers, so they close first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface HttpServerOptions {
  idleTimeoutSeconds: number;
}

export function createHttpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: HttpServerOptions,
): Server {
  const inFlight = new WeakMap<Socket, ServerResponse>();
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      inFlight.set(req.socket, res);
      res.once('close', () => {
        if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
      });
      handler(req, res);
    },
  );
  // The socket's idle timer: it restarts on every byte read or written.
  server.timeout = options.idleTimeoutSeconds * 1000;
  server.on('timeout', (socket: Socket) => {
    // The client has sent its whole request and the store is still working out the answer
    // (verifying a large blob, say): the client waits for us, so the connection is not idle. The
    // timer starts again with the first byte of the answer.
    const res = inFlight.get(socket);
    if (res && res.req.complete && !res.headersSent) return;
    socket.destroy();
  });
  return server;
}
