import type { ApiHarness } from '../../support/api-harness.ts';

export interface PulledChanges {
  changes: Record<string, { created: Record<string, unknown>[]; updated: (Record<string, unknown> & { id: string })[]; deleted: string[] }>;
  timestamp: number;
}

/** `POST /sync-pull` / `POST /sync-push` through app.inject, as a given user. */
export function syncRequests(h: ApiHarness) {
  const post = async (userId: string, url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: await h.bearer(userId), payload: payload as never });
  return {
    pullResponse: (userId: string, lastPulledAt: number | null, extra: Record<string, unknown> = {}) =>
      post(userId, '/sync-pull', { lastPulledAt, schemaVersion: 1, migration: null, ...extra }),
    pull: async (userId: string, lastPulledAt: number | null = null): Promise<PulledChanges> => {
      const res = await post(userId, '/sync-pull', { lastPulledAt, schemaVersion: 1, migration: null });
      if (res.statusCode !== 200) throw new Error(`pull ${res.statusCode}: ${res.body.slice(0, 300)}`);
      return res.json();
    },
    /**
     * A pull whose watermark has passed `stamp`. A watermark is the oldest transaction still running
     * anywhere in the cluster (other test files' too); a device syncing now and then gets there.
     */
    pullPast: async (userId: string, stamp: number, lastPulledAt: number | null = null): Promise<PulledChanges> => {
      let pulled: PulledChanges | undefined;
      for (let i = 0; i < 150 && (!pulled || pulled.timestamp <= stamp); i++) {
        if (pulled) await new Promise((resolve) => setTimeout(resolve, 200));
        const res = await post(userId, '/sync-pull', { lastPulledAt: pulled?.timestamp ?? lastPulledAt, schemaVersion: 1, migration: null });
        if (res.statusCode !== 200) throw new Error(`pull ${res.statusCode}: ${res.body.slice(0, 300)}`);
        pulled = res.json();
      }
      if (pulled!.timestamp <= stamp) throw new Error(`the watermark did not pass ${stamp} in 30 s`);
      return pulled!;
    },
    push: (userId: string, changes: Record<string, unknown>, lastPulledAt: number | null) => post(userId, '/sync-push', { changes, lastPulledAt }),
  };
}

export const idsOf = (pulled: PulledChanges, table: string) => pulled.changes[table]!.updated.map((r) => r.id).sort();
