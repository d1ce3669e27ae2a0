import { pino, stdSerializers, type Logger } from 'pino';
import { scrub } from './log-redaction.js';

/** Structured logs; credentials never reach them (log-redaction.ts). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      serializers: { err: (err: Error) => scrub({ ...stdSerializers.err(err) }) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg: unknown) => scrub(arg)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? process.stdout,
  );
}
