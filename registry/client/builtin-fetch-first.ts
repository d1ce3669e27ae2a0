/**
 * Imported before 'undici', for its side effect. Loading undici installs its Agent as the
 * process-wide dispatcher when none is set yet, and Node's built-in fetch (undici 6 in Node 20)
 * would then send through undici 7's Agent, which refuses some of its requests ("invalid
 * content-length header"). Reading a fetch global makes Node load its own undici first, which
 * sets its own dispatcher: the global fetch stays as Node made it, for the CLI and the server.
 */
Reflect.get(globalThis, 'Headers');
