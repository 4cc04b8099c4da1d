import type { Platform } from '@ach/db';

/**
 * Why a sync request was not accepted:
 * - `account_not_linked`: the user has no link for the platform;
 * - `ownership_claimed`: another user proved they own the linked account;
 * - `queue_unavailable`: the job could not reach the queue (a run created for it is failed, not left queued);
 * - `sync_contended`: runs kept starting and finishing between our statements; try again.
 */
export type SyncAcceptRefusal = 'account_not_linked' | 'ownership_claimed' | 'queue_unavailable' | 'sync_contended';

/** A refused sync request. The caller decides what its client sees (the API: problem+json). */
export class SyncAcceptError extends Error {
  readonly code: SyncAcceptRefusal;
  readonly platform: Platform;

  constructor(code: SyncAcceptRefusal, platform: Platform, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SyncAcceptError';
    this.code = code;
    this.platform = platform;
  }
}

export const isSyncAcceptError = (error: unknown): error is SyncAcceptError => error instanceof SyncAcceptError;
