import type { Platform } from '@ach/db';

/** A platform's queue is `sync-<slug>` (the contract); BullMQ forbids ":" in names, a slug has none. */
export function syncQueueName(platform: Platform): string {
  return `sync-${platform}`;
}
export const MONITOR_QUEUE_NAME = 'monitor';
export const SYNC_JOB_NAME = 'sync';
