import { describe, expect, it } from 'vitest';
import { appIdFor, createSandboxState, DEFAULT_CATALOGUE_SHAPE, DEFAULT_STEAM_ACCOUNTS, DEMO_ACCOUNTS, locateAppId, SandboxStateError } from '@ach/platform-sandbox';

const ME = '76561198046174695';
const DEMO = '76561198000000001';
const RIVAL = '76561198000000002';

describe('Steam sandbox state', () => {
  it('same seed → same library, in another state instance', () => {
    const a = createSandboxState().steam.library(ME);
    const b = createSandboxState().steam.library(ME);
    expect(a).toEqual(b);
    expect(a!.games).toHaveLength(45);
    expect(a!.games.some((g) => g.earnedCount > 0)).toBe(true);
  });

  it('a different account gets a different earned pattern over shared games', () => {
    const state = createSandboxState();
    const demo = state.steam.library(DEMO)!;
    const rival = state.steam.library(RIVAL)!;
    // Same shape → the same catalogue games from index 0: the rival owns all 30 of the demo's games.
    expect(rival.games.slice(0, 30).map((g) => g.appid)).toEqual(demo.games.map((g) => g.appid));
    expect(rival.games.slice(0, 30).map((g) => g.name)).toEqual(demo.games.map((g) => g.name));
    expect(rival.games.map((g) => g.earnedCount)).not.toEqual(demo.games.map((g) => g.earnedCount));
  });

  it('shares are exact: noStatsRatio games without stats, hiddenRatio hidden achievements', () => {
    const state = createSandboxState();
    state.steam.putAccount('76561198000000010', { games: 200, achievementsPerGame: 30, noStatsRatio: 0.25, hiddenRatio: 0.2, earnedRatio: 0.5 });
    const library = state.steam.library('76561198000000010')!;
    expect(library.games.filter((g) => !g.hasStats)).toHaveLength(50);
    const withStats = library.games.filter((g) => g.hasStats);
    expect(withStats.every((g) => g.achievements.length === 30 && g.achievements.filter((a) => a.hidden).length === 6)).toBe(true);
    expect(library.games.filter((g) => !g.hasStats).every((g) => g.achievements.length === 0 && g.earnedCount === 0)).toBe(true);
    const earned = withStats.reduce((n, g) => n + g.earnedCount, 0);
    const total = withStats.reduce((n, g) => n + g.achievements.length, 0);
    expect(earned / total).toBeGreaterThan(0.35);
    expect(earned / total).toBeLessThan(0.55);
    // Unlock times never after last played, never in the future.
    for (const g of withStats) for (const a of g.achievements) if (a.achieved) expect(a.unlocktime).toBeLessThanOrEqual(g.rtimeLastPlayed);
  });

  it('appids encode their catalogue shape and round-trip', () => {
    expect(appIdFor(DEFAULT_CATALOGUE_SHAPE, 0)).toBe(10);
    const shape = { achievementsPerGame: 50, hiddenRatio: 0.1, noStatsRatio: 0 };
    const appid = appIdFor(shape, 999);
    expect(Number.isSafeInteger(appid)).toBe(true);
    expect(locateAppId(appid)).toEqual({ shape, index: 999 });
    expect(locateAppId(15)).toBeUndefined();
  });

  it('earn unlocks the next locked achievements now and bumps last-played and playtime', () => {
    const now = 1_800_000_000;
    const state = createSandboxState({ steam: { clock: () => now } });
    const game = state.steam.library(DEMO)!.games.find((g) => g.hasStats && g.achievements.length - g.earnedCount >= 3)!;
    const result = state.steam.earn(DEMO, game.appid, 3);
    expect(result.earned).toEqual(game.achievements.filter((a) => !a.achieved).slice(0, 3).map((a) => a.apiname));
    const after = state.steam.library(DEMO)!.games.find((g) => g.appid === game.appid)!;
    expect(after.earnedCount).toBe(game.earnedCount + 3);
    expect(after.rtimeLastPlayed).toBe(now);
    expect(after.playtimeForever).toBeGreaterThan(game.playtimeForever);
    expect(after.achievements.filter((a) => result.earned.includes(a.apiname)).every((a) => a.unlocktime === now)).toBe(true);
    // Same clock again: last-played still moves, so "changed since" comparisons keep working.
    state.steam.earn(DEMO, game.appid, 1);
    expect(state.steam.library(DEMO)!.games.find((g) => g.appid === game.appid)!.rtimeLastPlayed).toBe(now + 1);
  });

  it('earning more than is locked earns what is left', () => {
    const state = createSandboxState();
    const game = state.steam.library(ME)!.games.find((g) => g.hasStats)!;
    const { earned } = state.steam.earn(ME, game.appid, 1000);
    expect(earned).toHaveLength(game.achievements.length - game.earnedCount);
    expect(state.steam.earn(ME, game.appid, 1).earned).toEqual([]);
  });

  it('add games, privacy, reset stats', () => {
    const state = createSandboxState();
    const added = state.steam.addGames(DEMO, 3);
    expect(added).toEqual([310, 320, 330]);
    expect(state.steam.library(DEMO)!.games.slice(-3).map((g) => g.appid)).toEqual(added);
    // The rival already owned those appids: games are shared, definitions identical.
    expect(state.steam.library(RIVAL)!.games.find((g) => g.appid === 310)!.name).toBe(state.steam.game(310)!.name);

    expect(state.steam.setPrivate(DEMO, true).private).toBe(true);
    expect(state.steam.ownedGames(DEMO)).toBe('private');
    state.steam.setPrivate(DEMO, false);

    const game = state.steam.library(DEMO)!.games.find((g) => g.earnedCount > 0)!;
    state.steam.resetStats(DEMO, game.appid);
    const reset = state.steam.library(DEMO)!.games.find((g) => g.appid === game.appid)!;
    expect(reset.earnedCount).toBe(0);
    expect(reset.rtimeLastPlayed).toBe(game.rtimeLastPlayed);
  });

  it('mutations on what does not exist are typed errors', () => {
    const state = createSandboxState();
    expect(() => state.steam.earn('76561198999999999', 10, 1)).toThrow(SandboxStateError);
    expect(() => state.steam.earn(DEMO, 999_990, 1)).toThrow(/does not own/);
    const noStats = state.steam.library(DEMO)!.games.find((g) => !g.hasStats)!;
    expect(() => state.steam.earn(DEMO, noStats.appid, 1)).toThrow(/no stats/);
    expect(() => state.steam.putAccount('76561198000000011', { vanity: 'sandbox-demo' })).toThrow(/already belongs/);
  });

  it('reset restores the defaults and forgets mutations; the demo account is one of them', () => {
    const state = createSandboxState();
    const before = state.steam.library(DEMO);
    state.steam.earn(DEMO, before!.games.find((g) => g.hasStats)!.appid, 5);
    state.steam.putAccount('76561198000000012', { games: 1 });
    state.faults.add({ endpoint: 'steam.GetOwnedGames', kind: 'server_error' });
    state.calls.record('steam.GetOwnedGames');
    state.reset();
    expect(state.steam.library(DEMO)).toEqual(before);
    expect(state.steam.getAccount('76561198000000012')).toBeUndefined();
    expect(state.faults.list()).toEqual([]);
    expect(state.calls.snapshot()).toEqual({});
    expect(state.steam.listAccounts().map((a) => a.steamId)).toEqual(DEFAULT_STEAM_ACCOUNTS.map((a) => a.steamId));
    expect(state.steam.getAccount(DEMO_ACCOUNTS.steam.steamId)).toMatchObject({ vanity: DEMO_ACCOUNTS.steam.vanity, private: false });
    expect(state.steam.isValidKey(DEMO_ACCOUNTS.steam.apiKey)).toBe(true);
    expect(state.steam.isValidKey('other')).toBe(false);
  });

  it('the 1,000 × 50 benchmark account lists without building every achievement', () => {
    const state = createSandboxState();
    const games = state.steam.ownedGames('76561198000000004');
    if (games === 'private') throw new Error('expected public');
    expect(games).toHaveLength(1000);
    expect(games.every((g) => g.hasStats)).toBe(true);
    const one = state.steam.playerAchievements('76561198000000004', games[999]!.appid);
    expect(one.kind === 'achievements' && one.achievements.length).toBe(50);
  });
});

describe('faults and call counts', () => {
  it('a fault fires count times, only on matching requests, FIFO across faults', () => {
    const { faults } = createSandboxState();
    faults.add({ endpoint: 'steam.GetPlayerAchievements', kind: 'rate_limited', count: 2, match: { appid: 440 } });
    faults.add({ endpoint: '*', kind: 'garbage' });
    expect(faults.take('steam.GetPlayerAchievements', { appid: '10' })?.kind).toBe('garbage');
    expect(faults.take('steam.GetPlayerAchievements', { appid: '10' })).toBeUndefined();
    expect(faults.take('steam.GetPlayerAchievements', { appid: '440' })?.kind).toBe('rate_limited');
    expect(faults.list()[0]!.remaining).toBe(1);
    expect(faults.take('steam.GetPlayerAchievements', { appid: '440' })?.kind).toBe('rate_limited');
    expect(faults.take('steam.GetPlayerAchievements', { appid: '440' })).toBeUndefined();
  });

  it('rejects unknown fault kinds and bounds the hold', () => {
    const { faults } = createSandboxState();
    expect(() => faults.add({ endpoint: 'x', kind: 'explode' as never })).toThrow();
    expect(() => faults.add({ endpoint: 'x', kind: 'timeout', holdMs: 10 * 60_000 })).toThrow();
  });

  it('counts per endpoint and per parameter', () => {
    const { calls } = createSandboxState();
    calls.record('steam.GetSchemaForGame', { appid: '10' });
    calls.record('steam.GetSchemaForGame', { appid: '10' });
    calls.record('steam.GetSchemaForGame', { appid: '20' });
    calls.record('steam.GetOwnedGames', { steamid: ME });
    expect(calls.count('steam.GetSchemaForGame')).toBe(3);
    expect(calls.count('steam.GetSchemaForGame', { appid: '10' })).toBe(2);
    expect(calls.snapshot()).toEqual({
      'steam.GetOwnedGames': { total: 1, byParam: { [`steamid=${ME}`]: 1 } },
      'steam.GetSchemaForGame': { total: 3, byParam: { 'appid=10': 2, 'appid=20': 1 } },
    });
  });
});
