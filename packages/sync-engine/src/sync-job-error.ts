/**
 * A job that cannot succeed for a reason of our own (not a platform answer): no sync_logs row, the
 * account was unlinked after the request, a bad payload. Never retried.
 */
export class SyncJobError extends Error {
  readonly code: string;
  readonly needsAttention: boolean;
  /** `message` is shown to the user: our words only; what went wrong underneath goes in `cause` (logged). */
  constructor(code: string, message: string, options: { needsAttention?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SyncJobError';
    this.code = code;
    this.needsAttention = options.needsAttention ?? false;
  }
}
