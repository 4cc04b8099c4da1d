import type { AlertMessage } from './alert-message.ts';

export interface AlertChannel {
  readonly name: 'webhook' | 'email';
  send(message: AlertMessage): Promise<void>;
  close?(): Promise<void>;
}

/** A delivery that failed; `retryable` false means trying again cannot help (a 404 webhook, a rejected recipient). */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeliveryError';
    this.retryable = retryable;
  }
}
