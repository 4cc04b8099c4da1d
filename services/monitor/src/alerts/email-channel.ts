import nodemailer from 'nodemailer';
import { DeliveryError, type AlertChannel } from './alert-channel.ts';

/**
 * Alert e-mail over SMTP (`smtp://user:pass@host:587` with STARTTLS when the server offers it, or
 * `smtps://…:465`). The URL carries the SMTP password: it never appears in an error or a log line.
 */
export function createEmailChannel(options: { smtpUrl: string; from: string; to: readonly string[]; timeoutMs?: number }): AlertChannel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name: 'email',
    async send(message) {
      try {
        await transport.sendMail({ from: options.from, to: [...options.to], subject: message.subject, text: message.text });
      } catch (error) {
        const e = error as Error & { code?: string; responseCode?: number };
        // A permanent SMTP answer (5xx: unknown recipient, refused sender, bad login) will not pass on a retry.
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        throw new DeliveryError(`e-mail not sent (${e.responseCode ?? e.code ?? 'error'})`, !permanent);
      }
    },
    async close() {
      transport.close();
    },
  };
}
