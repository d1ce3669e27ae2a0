/**
 * What a command reads and writes, passed in so the library functions behind the commands need no
 * process: results go to `out` (stdout), progress and messages to `err` (stderr).
 */
import { createInterface } from 'node:readline';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** stderr is a terminal: progress lines are worth printing. */
  readonly interactive: boolean;
  /** stderr itself, for progress bars that redraw in place (only used when interactive). */
  readonly stderrStream?: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of stdin as text (for `--key-stdin`). */
  readStdin(): Promise<string>;
  /** One line of stdin, after `prompt` on stderr (the login code). */
  readLine(prompt: string): Promise<string>;
}

export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    interactive: process.stderr.isTTY === true,
    stderrStream: process.stderr,
    env: process.env,
    async readLine(prompt) {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
      process.stderr.write(prompt);
      try {
        // stdin closing before a line (nothing typed) reads as an empty answer, never a hang.
        return await new Promise<string>((resolve) => {
          rl.once('line', resolve);
          rl.once('close', () => resolve(''));
        });
      } finally {
        rl.close();
      }
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
