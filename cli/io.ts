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
  /** One line of stdin after `prompt`, not echoed when stdin is a terminal (an access key). */
  readSecret(prompt: string): Promise<string>;
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
    async readSecret(prompt) {
      const stdin = process.stdin;
      if (!stdin.isTTY) return this.readLine(prompt);
      stdin.setRawMode(true); // before the prompt: a key typed at once is not echoed either
      process.stderr.write(prompt);
      stdin.resume();
      let typed = '';
      try {
        return await new Promise<string>((resolve, reject) => {
          const onData = (chunk: Buffer): void => {
            for (const ch of chunk.toString('utf8')) {
              if (ch === '\r' || ch === '\n' || ch === '\u0004') return void resolve(typed);
              if (ch === '\u0003') return void reject(new Error('interrupted'));
              if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
              else typed += ch;
            }
          };
          stdin.on('data', onData);
          stdin.once('end', () => resolve(typed));
        });
      } finally {
        stdin.setRawMode(false);
        stdin.removeAllListeners('data');
        stdin.pause();
        process.stderr.write('\n');
      }
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
