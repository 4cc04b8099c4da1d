import type { RedisClient } from './redis-connection.ts';
import { z } from 'zod';
import { platformSlugSchema } from './sync-job.ts';

/** What a worker tells live listeners (SSE) about a run; the database stays the source of truth. */
export const syncEventSchema = z.object({
  syncId: z.uuid(),
  userId: z.uuid(),
  platform: platformSlugSchema,
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: z.number().int().min(0).max(100),
  stats: z.record(z.string(), z.unknown()).optional(),
  errorCode: z.string().nullable().optional(),
  errorMessage: z.string().nullable().optional(),
  at: z.string(),
});
export type SyncEvent = z.infer<typeof syncEventSchema>;

/** One channel per user: an SSE stream subscribes to its own user's runs only. */
export function syncEventsChannel(prefix: string, userId: string): string {
  return `${prefix}:sync-events:${userId}`;
}

export async function publishSyncEvent(redis: RedisClient, prefix: string, event: SyncEvent): Promise<void> {
  await redis.publish(syncEventsChannel(prefix, event.userId), JSON.stringify(syncEventSchema.parse(event)));
}

/** A pub/sub message as a SyncEvent, or undefined when it is not one (never throws: it runs in a Redis event handler). */
export function parseSyncEvent(message: string): SyncEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return undefined;
  }
  const parsed = syncEventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** `subscriber` must be a connection used for nothing else (Redis subscriber mode). Returns an unsubscribe. */
export async function subscribeSyncEvents(
  subscriber: RedisClient,
  prefix: string,
  userId: string,
  onEvent: (event: SyncEvent) => void,
): Promise<() => Promise<void>> {
  const channel = syncEventsChannel(prefix, userId);
  const listener = (incoming: string, message: string) => {
    if (incoming !== channel) return;
    const event = parseSyncEvent(message);
    if (event) onEvent(event);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}
