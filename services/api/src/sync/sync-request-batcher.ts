import type { Platform, SyncMode } from '@ach/db';
import type { PlatformRegistry } from '@ach/platform-registry';
import { createSyncRequestBatcher as createAcceptBatcher, type SyncRequestBatcherDeps, type SyncRequestResult } from '@ach/sync-runs';
import { syncAcceptProblem } from './sync-accept-problem.ts';

/** A request as the route has it: the platform by its slug (a registry one). */
export interface SyncRequestInput {
  userId: string;
  platform: Platform;
  mode: SyncMode;
}

export interface SyncRequestBatcher {
  request: (input: SyncRequestInput) => Promise<SyncRequestResult>;
  close: () => Promise<void>;
}

/**
 * The accept path's batcher (@ach/sync-runs: one INSERT and one addBulk per queue for concurrent
 * requests) with its refusals as problems: 409 `account_not_linked` / `ownership_claimed`, 503
 * `queue_unavailable` / `sync_contended`.
 */
export function createSyncRequestBatcher(deps: SyncRequestBatcherDeps & { platforms: PlatformRegistry }): SyncRequestBatcher {
  const batcher = createAcceptBatcher(deps);
  return {
    request: async ({ userId, platform, mode }) => {
      try {
        return await batcher.request({ userId, platform: deps.platforms.bySlug(platform), mode });
      } catch (error) {
        throw syncAcceptProblem(error);
      }
    },
    close: batcher.close,
  };
}
