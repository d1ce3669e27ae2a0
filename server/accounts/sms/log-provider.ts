import type { Logger } from 'pino';
import { maskPhone } from '../phone.js';
import type { SmsProvider } from './provider.js';

/** The plain line the `log` provider prints; tests and operators read the code from it. */
export const codeLine = (to: string, code: string): string =>
  `appshelf: verification code for ${to} is ${code} (sms.provider: log sends no SMS; for development only)`;

/**
 * The embedded default: no SMS is sent. The code is printed as a plain line, where the admin key
 * is printed, for the operator to read out; the log gets a warning without it, so nobody mistakes
 * this for a production setup and no log collector keeps codes.
 */
export function logSmsProvider(log: Logger, print: (line: string) => void): SmsProvider {
  return {
    name: 'log',
    async send(to, code) {
      print(codeLine(to, code));
      log.warn(
        { smsProvider: 'log', to: maskPhone(to) },
        'development sms provider: verification code printed, no sms sent',
      );
    },
  };
}
