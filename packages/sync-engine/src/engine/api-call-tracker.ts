import { AsyncLocalStorage } from 'node:async_hooks';
import type { PlatformCall } from '@ach/platform-clients';

export interface ApiCallCounts {
  /** Calls per endpoint, e.g. `{ "steam.GetOwnedGames": 1 }`. */
  byEndpoint: Record<string, number>;
  /** Calls answered with something other than 2xx (including timeouts and network errors). */
  failed: number;
}

/**
 * One platform client is shared by every job a worker runs at once, so per-job call counts cannot
 * live in the client. The tracker keeps them in the job's async context: wire `onCall` into the
 * client once, and `track` each job.
 */
export interface ApiCallTracker {
  onCall: (call: PlatformCall) => void;
  track: <T>(fn: () => Promise<T>) => { counts: ApiCallCounts; result: Promise<T> };
}

export function createApiCallTracker(): ApiCallTracker {
  const storage = new AsyncLocalStorage<ApiCallCounts>();
  return {
    onCall(call) {
      const counts = storage.getStore();
      if (!counts) return;
      counts.byEndpoint[call.endpoint] = (counts.byEndpoint[call.endpoint] ?? 0) + 1;
      if (typeof call.status !== 'number' || call.status < 200 || call.status >= 300) counts.failed += 1;
    },
    track(fn) {
      const counts: ApiCallCounts = { byEndpoint: {}, failed: 0 };
      return { counts, result: storage.run(counts, fn) };
    },
  };
}
