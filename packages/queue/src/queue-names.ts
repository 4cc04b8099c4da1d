import type { Platform } from '@ach/db';

/** Names are fixed by the contract; BullMQ forbids ":" in them. */
export const SYNC_QUEUE_NAMES: Record<Platform, `sync-${Platform}`> = {
  psn: 'sync-psn',
  xbox: 'sync-xbox',
  steam: 'sync-steam',
};
export const MONITOR_QUEUE_NAME = 'monitor';
export const SYNC_JOB_NAME = 'sync';
