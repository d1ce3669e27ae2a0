/** Sends a verification code by SMS. Implementations: log (development) and webhook. */
export interface SmsProvider {
  readonly name: string;
  /** Resolves when the gateway accepted the message; rejects with SmsError otherwise. */
  send(to: string, code: string): Promise<void>;
}

/** The gateway did not take the message; the user may ask for a new code. */
export class SmsError extends Error {
  override readonly name = 'SmsError';
}
