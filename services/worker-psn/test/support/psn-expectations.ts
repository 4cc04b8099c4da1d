import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '@ach/db';
import type { PsnLibraryView } from '@ach/platform-sandbox';
import type { StartedSandbox } from '@ach/platform-sandbox';

/** PSN's trophy-level points, as the mapping fills `points` (bronze 15, silver 30, gold 90, platinum 300). */
const POINTS: Record<string, number> = { bronze: 15, silver: 30, gold: 90, platinum: 300 };
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const points = (counts: Record<string, number>) => Object.entries(counts).reduce((a, [type, n]) => a + n * POINTS[type]!, 0);

/**
 * Everything the sandbox holds for a PSN account, checked against what landed for the user: every title
 * (name, generation, platform, groups with names), every trophy (type, hidden flag, points, group,
 * rarity from `trophyEarnedRate`), every unlock with its date, and `user_progress` as PSN states it.
 * Returns a list of differences (empty when the database holds exactly the library).
 */
export async function differencesFromSandbox(db: Kysely<Database>, sandbox: StartedSandbox, accountId: string, userId: string): Promise<string[]> {
  const library: PsnLibraryView = sandbox.state.psn.trophies.view(accountId)!;
  const problems: string[] = [];
  const ids = library.titles.map((t) => t.npCommunicationId);
  const games = new Map(
    (await db.selectFrom('games').selectAll().where('platform_id', '=', 1).where('platform_game_id', 'in', ids).execute()).map((g) => [g.platform_game_id, g]),
  );
  const achievements = new Map(
    (await db.selectFrom('achievements').selectAll().where('platform_id', '=', 1).where('platform_game_id', 'in', ids).execute()).map((a) => [
      `${a.platform_game_id}/${a.platform_achievement_id}`,
      a,
    ]),
  );
  const unlocks = new Map(
    (await db.selectFrom('user_achievements').selectAll().where('user_id', '=', userId).where('platform_id', '=', 1).execute()).map((u) => [
      `${u.platform_game_id}/${u.platform_achievement_id}`,
      u,
    ]),
  );
  const progress = new Map((await db.selectFrom('user_progress').selectAll().where('user_id', '=', userId).where('platform_id', '=', 1).execute()).map((p) => [p.platform_game_id, p]));
  if (progress.size !== library.titles.length) problems.push(`user_progress has ${progress.size} titles, the library ${library.titles.length}`);
  let earnedTotal = 0;

  for (const title of library.titles) {
    const id = title.npCommunicationId;
    const game = games.get(id);
    if (!game) {
      problems.push(`${id}: no games row`);
      continue;
    }
    const data = game.platform_specific_data as { npServiceName?: string; platform?: string; groups?: { id: string; name: string | null }[] };
    if (game.name !== title.trophyTitleName) problems.push(`${id}: name ${game.name}`);
    if (game.achievements_total !== sum(title.definedTrophies)) problems.push(`${id}: achievements_total ${game.achievements_total}`);
    if (data.npServiceName !== title.npServiceName) problems.push(`${id}: npServiceName ${data.npServiceName}`);
    if (data.platform !== title.trophyTitlePlatform) problems.push(`${id}: platform ${data.platform}`);
    const groups = data.groups ?? [];
    if (groups.map((g) => g.id).join() !== title.groups.join()) problems.push(`${id}: groups ${groups.map((g) => g.id).join()} ≠ ${title.groups.join()}`);
    if (groups.some((g) => !g.name)) problems.push(`${id}: a group without its name`);

    for (const trophy of title.trophies ?? []) {
      const key = `${id}/${trophy.trophyId}`;
      const row = achievements.get(key);
      if (!row) {
        problems.push(`${key}: no achievements row`);
        continue;
      }
      const rowData = row.platform_specific_data as { groupId?: string };
      if (row.type !== trophy.trophyType || row.hidden !== trophy.trophyHidden || row.points !== POINTS[trophy.trophyType]) problems.push(`${key}: type/hidden/points`);
      if (rowData.groupId !== trophy.trophyGroupId) problems.push(`${key}: group ${rowData.groupId} ≠ ${trophy.trophyGroupId}`);
      if (row.rarity_percentage === null || Number(row.rarity_percentage) !== Number(trophy.trophyEarnedRate)) problems.push(`${key}: rarity ${row.rarity_percentage} ≠ ${trophy.trophyEarnedRate}`);
      const unlock = unlocks.get(key);
      if (trophy.earned !== Boolean(unlock)) problems.push(`${key}: earned ${trophy.earned}, stored ${Boolean(unlock)}`);
      if (unlock && unlock.earned_at?.toISOString().replace('.000Z', 'Z') !== trophy.earnedDateTime) problems.push(`${key}: earned_at ${unlock.earned_at?.toISOString()}`);
    }
    if ((title.trophies?.length ?? 0) !== sum(title.definedTrophies)) problems.push(`${id}: the view lacks trophies`);

    const p = progress.get(id);
    if (!p) {
      problems.push(`${id}: no user_progress`);
      continue;
    }
    const earned = sum(title.earnedTrophies);
    earnedTotal += earned;
    const pData = p.platform_specific_data as { earnedTrophies?: unknown; definedTrophies?: unknown; earnedCount?: number; definedCount?: number };
    // PSN's own figure (points-weighted, platinum left out), never earned ÷ total.
    if (Number(p.completion_percentage) !== title.progress) problems.push(`${id}: completion ${p.completion_percentage} ≠ PSN's ${title.progress}`);
    if (p.achievements_earned !== earned || p.achievements_total !== sum(title.definedTrophies)) problems.push(`${id}: earned/total ${p.achievements_earned}/${p.achievements_total}`);
    if (p.points_earned !== points(title.earnedTrophies) || p.points_total !== points(title.definedTrophies)) problems.push(`${id}: points ${p.points_earned}/${p.points_total}`);
    if (!isDeepStrictEqual(pData.earnedTrophies, title.earnedTrophies) || !isDeepStrictEqual(pData.definedTrophies, title.definedTrophies)) {
      problems.push(`${id}: counts by grade ${JSON.stringify(pData)}`);
    }
    if (p.last_played_at?.toISOString().replace('.000Z', 'Z') !== title.lastUpdatedDateTime) problems.push(`${id}: last_played_at ${p.last_played_at?.toISOString()}`);
  }
  if (unlocks.size !== earnedTotal) problems.push(`${unlocks.size} unlocks stored, ${earnedTotal} earned`);
  return problems;
}
