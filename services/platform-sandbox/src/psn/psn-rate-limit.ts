import { z } from 'zod';

/**
 * PSN's per-user request window (≈ 300 requests / 15 min as client libraries measured it), one fixed window
 * per account: it opens with the first request, and a request past `limit` inside it is refused until the
 * window ends. Refused requests do not count. Off unless set for an account.
 */
export const psnRateLimitSchema = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
});
export type PsnRateLimitSpec = z.infer<typeof psnRateLimitSchema>;

export type PsnRateLimitDecision =
  | { allowed: true }
  | { allowed: false; limit: number; windowSeconds: number; /** unix seconds */ nextAvailable: number };

export interface PsnRateLimiter {
  set(accountId: string, spec: PsnRateLimitSpec | null): void;
  get(accountId: string): (PsnRateLimitSpec & { used: number; windowStartedAt: string | null }) | undefined;
  take(accountId: string, nowMs: number): PsnRateLimitDecision;
  clear(): void;
}

interface Window extends PsnRateLimitSpec {
  startedAt: number | undefined;
  used: number;
}

export function createPsnRateLimiter(): PsnRateLimiter {
  const windows = new Map<string, Window>();
  return {
    set(accountId, spec) {
      if (spec === null) windows.delete(accountId);
      else windows.set(accountId, { ...psnRateLimitSchema.parse(spec), startedAt: undefined, used: 0 });
    },
    get(accountId) {
      const w = windows.get(accountId);
      if (!w) return undefined;
      return { limit: w.limit, windowSeconds: w.windowSeconds, used: w.used, windowStartedAt: w.startedAt === undefined ? null : new Date(w.startedAt).toISOString() };
    },
    take(accountId, nowMs) {
      const w = windows.get(accountId);
      if (!w) return { allowed: true };
      const windowMs = w.windowSeconds * 1000;
      if (w.startedAt === undefined || nowMs >= w.startedAt + windowMs) {
        w.startedAt = nowMs;
        w.used = 0;
      }
      if (w.used >= w.limit) {
        return { allowed: false, limit: w.limit, windowSeconds: w.windowSeconds, nextAvailable: Math.ceil((w.startedAt + windowMs) / 1000) };
      }
      w.used++;
      return { allowed: true };
    },
    clear: () => windows.clear(),
  };
}
