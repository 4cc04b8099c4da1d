import { DeliveryError, type AlertChannel } from './alert-channel.ts';

/**
 * A Slack-compatible incoming webhook: POST `{ text, blocks }` as JSON (Slack, Mattermost, Rocket.Chat
 * and most chat tools accept it). The URL is a secret (whoever has it may post): it never appears in
 * an error or a log line.
 */
export function createWebhookChannel(options: { url: string; timeoutMs?: number }): AlertChannel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: 'webhook',
    async send(message) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: message.text, blocks: message.blocks }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (error) {
        const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        throw new DeliveryError(`webhook not reachable (${cause})`, true);
      }
      await response.body?.cancel().catch(() => {});
      if (!response.ok) {
        // 408/429/5xx may pass on a later try; any other 4xx (revoked hook, rejected payload) will not.
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        throw new DeliveryError(`webhook answered ${response.status}`, retryable);
      }
    },
  };
}
