import type { Platform } from '@ach/db';
import { DEMO_ACCOUNTS } from '@ach/platform-sandbox';
import { waitFor, type RunningSystem } from './system-under-test.ts';

/** The request body that links a platform to its sandbox demo account (what a user would paste). */
export const DEMO_LINK_BODY: Record<Platform, unknown> = {
  psn: { npsso: DEMO_ACCOUNTS.psn.npsso },
  xbox: { refreshToken: DEMO_ACCOUNTS.xbox.refreshToken },
  steam: { steamId: DEMO_ACCOUNTS.steam.steamId },
};

export async function linkAccount(system: RunningSystem, authorization: string, platform: Platform, body: unknown = DEMO_LINK_BODY[platform]): Promise<void> {
  const res = await system.api('PUT', `/accounts/${platform}`, authorization, body);
  if (res.status !== 200 && res.status !== 201) throw new Error(`linking ${platform} answered ${res.status}: ${res.text}`);
}

/** POST /sync/:platform → the accepted run's id (202), or throws with the answer. */
export async function requestSync(system: RunningSystem, authorization: string, platform: Platform, mode: 'full' | 'incremental' = 'full'): Promise<string> {
  const res = await system.api<{ syncId: string }>('POST', `/sync/${platform}`, authorization, { mode });
  if (res.status !== 202) throw new Error(`POST /sync/${platform} answered ${res.status}: ${res.text}`);
  return res.body.syncId;
}

export type FinishedRun = { id: string; status: string; error_code: string | null; attempts: number };

/** Waits until every run is succeeded, failed or cancelled in sync_logs; returns their rows. */
export async function waitForRunsToEnd(system: RunningSystem, syncIds: string[], timeoutMs = 120_000): Promise<FinishedRun[]> {
  let rows: FinishedRun[] = [];
  await waitFor(
    `${syncIds.length} sync runs to end`,
    async () => {
      rows = await system.db.selectFrom('sync_logs').select(['id', 'status', 'error_code', 'attempts']).where('id', 'in', syncIds).execute();
      return rows.length === syncIds.length && rows.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status));
    },
    timeoutMs,
    250,
  );
  return rows;
}
