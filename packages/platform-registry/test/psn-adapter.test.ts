import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ach/observability';
import { linkPsnAccount, type PsnCredentials } from '@ach/platform-clients';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import type { AdapterAccount, PlatformAdapter, TitleSummary } from '@ach/sync-engine';
import { createPsnAdapter } from '../src/psn/psn-adapter.ts';
import { psn } from '../src/psn/psn-platform.ts';

/**
 * The PSN adapter's listing against the sandbox with a library longer than one page (800): where an
 * incremental listing may stop, and where it must not.
 */
const ACCOUNT = '7712345678901234567';
const TITLES = 1_000;
let sandbox: StartedSandbox;
let adapter: PlatformAdapter;
let credentials: PsnCredentials;
let full: TitleSummary[];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, psn: { seedDefaults: false } });
  sandbox.state.psn.addAccount({ npsso: 'adapter-npsso', accountId: ACCOUNT, onlineId: 'adapter', library: { titles: TITLES, earnedRatio: 0.4 } });
  const env = { PSN_AUTH_BASE_URL: sandbox.url, PSN_API_BASE_URL: sandbox.url };
  const client = psn.createClient(env, {});
  credentials = (await linkPsnAccount({ npsso: 'adapter-npsso' }, { psnAuth: client.auth })).credentials;
  adapter = createPsnAdapter({ client, platform: psn, log: createLogger({ name: 'psn-adapter-test', level: 'silent' }) });
  full = (await adapter.listTitles(account(), { mode: 'full', storedMarkers: new Map(), syncedThrough: null })).titles;
});
afterAll(() => sandbox.close());

/** A job's account (a new object per job, as the engine loads it). */
const account = (): AdapterAccount => ({
  userId: '00000000-0000-4000-8000-000000000001',
  externalAccountId: ACCOUNT,
  credentials: () => credentials,
  saveCredentials: async (value) => {
    credentials = value as PsnCredentials;
  },
});

const markersOf = (titles: TitleSummary[]) => new Map(titles.map((t) => [t.platformGameId, t.changeMarker]));
const listCalls = () => sandbox.state.calls.count('psn.trophyTitles');

async function list(mode: 'incremental' | 'full', storedMarkers: Map<string, string>, syncedThrough: Date | null) {
  sandbox.state.calls.clear();
  const listing = await adapter.listTitles(account(), { mode, storedMarkers, syncedThrough });
  return { ...listing, calls: listCalls() };
}

describe('PSN listing', () => {
  it('pages 800 at a time, newest first, both generations', () => {
    expect(full).toHaveLength(TITLES);
    const dates = full.map((t) => t.lastPlayedAt!.getTime());
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect(new Set(full.map((t) => t.gameData?.npServiceName))).toEqual(new Set(['trophy', 'trophy2']));
  });

  it('incremental after a succeeded run with nothing changed: one page, complete: false', async () => {
    const listing = await list('incremental', markersOf(full), new Date());
    expect(listing.calls).toBe(1);
    expect(listing.complete).toBe(false);
    expect(listing.titles).toHaveLength(800);
  });

  it('an interrupted first sync (the newest titles stored, no run succeeded): every page, so the older titles get fetched', async () => {
    const listing = await list('incremental', markersOf(full.slice(0, 100)), null);
    expect(listing.calls).toBe(2);
    expect(listing.complete).toBe(true);
    expect(listing.titles).toHaveLength(TITLES);
  });

  it('titles stored by a later interrupted run are no stop signal: only an unchanged title older than the last succeeded run is', async () => {
    // The last succeeded run started before the 900 newest titles last changed; an interrupted run then
    // stored the 850 newest. The titles from 850 to 899 changed after the success and were never stored.
    const succeededAt = new Date((full[899]!.lastPlayedAt!.getTime() + full[900]!.lastPlayedAt!.getTime()) / 2 + 3_600_000);
    const stored = markersOf([...full.slice(0, 850), ...full.slice(900)]);
    const listing = await list('incremental', stored, succeededAt);
    expect(listing.calls).toBe(2);
    expect(listing.titles.map((t) => t.platformGameId)).toEqual(expect.arrayContaining(full.slice(850, 900).map((t) => t.platformGameId)));
  });

  it('full mode always pages the whole list', async () => {
    const listing = await list('full', markersOf(full), new Date());
    expect(listing).toMatchObject({ calls: 2, complete: true });
    expect(listing.titles).toHaveLength(TITLES);
  });

  it('each title is asked for with its own npServiceName, the groups call only for sets with DLC groups, and the user call once', async () => {
    const job = account();
    const listed = (await adapter.listTitles(job, { mode: 'full', storedMarkers: new Map(), syncedThrough: null })).titles;
    const ps4 = listed.find((t) => t.gameData?.npServiceName === 'trophy')!;
    const ps5 = listed.find((t) => t.gameData?.npServiceName === 'trophy2')!;
    for (const title of [ps4, ps5]) {
      sandbox.state.calls.clear();
      const metadata = await adapter.fetchGameMetadata(job, title);
      const mine = await adapter.fetchUserUnlocks(job, title);
      const service = title.gameData!.npServiceName as string;
      expect(sandbox.state.calls.count('psn.titleTrophies', { npServiceName: service })).toBe(1);
      expect(sandbox.state.calls.count('psn.userTrophies', { npServiceName: service })).toBe(1);
      const view = sandbox.state.psn.trophies.view(ACCOUNT)!.titles.find((t) => t.npCommunicationId === title.platformGameId)!;
      expect(sandbox.state.calls.count('psn.titleTrophyGroups')).toBe(view.groups.length > 1 ? 1 : 0);
      expect(metadata.achievements).toHaveLength(view.trophies!.length);
      expect(metadata.achievements.every((a) => a.rarityPercentage === null)).toBe(true);
      expect(mine.rarity).toHaveLength(view.trophies!.length);
      expect(mine.unlocks).toHaveLength(view.trophies!.filter((t) => t.earned).length);
      expect((metadata.gameData as { groups: { id: string; name: string | null }[] }).groups.map((g) => [g.id, g.name !== null])).toEqual(view.groups.map((id) => [id, true]));
    }
  });
});
