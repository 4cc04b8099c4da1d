import { z } from 'zod';

/**
 * Xbox Live's fine-grained rate limiting as Microsoft documents it: each service counts a user's calls
 * (per user and calling title; the sandbox has one calling title) in fixed windows — a 15 s "burst" and a
 * 300 s "sustain" window, both counting at once. A call made while any window is at its maximum is
 * answered 429 with `Retry-After` (seconds until that window rolls over) and still counts.
 */
export const xboxRateWindowSchema = z.strictObject({
  maxRequests: z.number().int().min(1).max(1_000_000),
  periodSeconds: z.number().int().min(1).max(86_400),
});
export type XboxRateWindow = z.infer<typeof xboxRateWindowSchema>;

/** Achievements on Xbox Live: 100 calls per 15 s (burst) and 300 per 300 s (sustain). */
export const XBOX_DOCUMENTED_WINDOWS: readonly XboxRateWindow[] = [
  { maxRequests: 100, periodSeconds: 15 },
  { maxRequests: 300, periodSeconds: 300 },
];

export type XboxRateService = 'achievements' | 'titlehub';

/** What the 429 body says, Xbox Live's documented fields. */
export interface XboxThrottled {
  retryAfterSeconds: number;
  currentRequests: number;
  maxRequests: number;
  periodInSeconds: number;
}

export interface XboxRateLimiter {
  /** Counts the call; says whether it is throttled. */
  take(key: string, windows: readonly XboxRateWindow[], now: number): XboxThrottled | undefined;
  clear(key?: string): void;
}

export function createXboxRateLimiter(): XboxRateLimiter {
  // `${key}|${periodSeconds}` → the current window.
  const counters = new Map<string, { start: number; count: number }>();
  return {
    take(key, windows, now) {
      let worst: XboxThrottled | undefined;
      for (const window of windows) {
        const id = `${key}|${window.maxRequests}|${window.periodSeconds}`;
        const periodMs = window.periodSeconds * 1000;
        let counter = counters.get(id);
        if (!counter || now >= counter.start + periodMs) counters.set(id, (counter = { start: now, count: 0 }));
        counter.count += 1;
        if (counter.count <= window.maxRequests) continue;
        const retryAfterSeconds = Math.max(1, Math.ceil((counter.start + periodMs - now) / 1000));
        if (!worst || retryAfterSeconds > worst.retryAfterSeconds) {
          worst = { retryAfterSeconds, currentRequests: counter.count, maxRequests: window.maxRequests, periodInSeconds: window.periodSeconds };
        }
      }
      return worst;
    },
    clear(key) {
      if (key === undefined) return counters.clear();
      // A user's key clears every service of that user (`<xuid>:<service>|…`).
      for (const id of [...counters.keys()]) if (id.startsWith(`${key}|`) || id.startsWith(`${key}:`)) counters.delete(id);
    },
  };
}
