import type { Logger } from 'pino';
import { maskPhone } from '../phone.js';
import { SmsError, type SmsProvider } from './provider.js';

export interface WebhookOptions {
  url: string;
  headers: Record<string, string>;
  template: string;
  timeoutMs: number;
  retries: number;
}

/** Retryable: the gateway may take the message on a later attempt. */
const retryable = (status: number): boolean => status >= 500 || status === 429;

/**
 * POSTs `{to, message, code}` as JSON to the enterprise's SMS gateway. Timeouts, network errors,
 * 429 and 5xx are retried with a short backoff; any other answer is final.
 */
export function webhookSmsProvider(options: WebhookOptions, log: Logger): SmsProvider {
  return {
    name: 'webhook',
    async send(to, code) {
      const body = JSON.stringify({
        to,
        message: options.template.replaceAll('{code}', code),
        code,
      });
      let last = '';
      for (let attempt = 0; attempt <= options.retries; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
        try {
          const res = await fetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...options.headers },
            body,
            signal: AbortSignal.timeout(options.timeoutMs),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          last = `gateway answered ${res.status}`;
          if (!retryable(res.status)) break;
        } catch (err) {
          last =
            (err as Error).name === 'TimeoutError'
              ? `no answer within ${options.timeoutMs} ms`
              : `gateway unreachable (${(err as Error).message})`;
        }
        log.warn(
          { to: maskPhone(to), attempt: attempt + 1, problem: last },
          'sms webhook attempt failed',
        );
      }
      throw new SmsError(`the SMS gateway did not take the message: ${last}`);
    },
  };
}
