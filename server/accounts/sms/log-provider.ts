import type { Logger } from 'pino';
import { maskPhone } from '../phone.js';
import type { SmsProvider } from './provider.js';

/**
 * The embedded default: no SMS is sent, the code is written to the server log for the operator
 * to read out. Loudly marked, so nobody mistakes it for a production setup.
 */
export function logSmsProvider(log: Logger): SmsProvider {
  return {
    name: 'log',
    async send(to, code) {
      log.warn(
        { smsProvider: 'log', to: maskPhone(to), phone: to, verificationCode: code },
        `DEVELOPMENT SMS PROVIDER: verification code for ${to} is ${code}`,
      );
    },
  };
}
