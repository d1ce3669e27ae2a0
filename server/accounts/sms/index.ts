import type { Logger } from 'pino';
import type { Config } from '../../../schemas/config.js';
import { logSmsProvider } from './log-provider.js';
import type { SmsProvider } from './provider.js';
import { webhookSmsProvider } from './webhook-provider.js';

export { SmsError, type SmsProvider } from './provider.js';

export function createSmsProvider(
  config: Config['sms'],
  log: Logger,
  print: (line: string) => void,
): SmsProvider {
  switch (config.provider) {
    case 'log':
      return logSmsProvider(log, print);
    case 'webhook':
      return webhookSmsProvider(config, log);
  }
}
