/**
 * What a command reads and writes, passed in so the library functions behind the commands need no
 * process: results go to `out` (stdout), progress and messages to `err` (stderr).
 */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** stderr is a terminal: progress lines are worth printing. */
  readonly interactive: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of stdin as text (for `--key-stdin`). */
  readStdin(): Promise<string>;
}

export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    interactive: process.stderr.isTTY === true,
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
