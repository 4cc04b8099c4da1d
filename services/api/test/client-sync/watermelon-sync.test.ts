import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { removeVanishedTitles } from '@ach/library';
import { createApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { steamLibrary, seedSteamLibrary } from './support/library-seed.ts';
import { createDevice, SyncHttpError, watermelonErrors, type Device } from './support/watermelon-device.ts';

/**
 * The acceptance path with the real client: WatermelonDB's synchronize() (LokiJS adapter, in
 * memory) on two "devices" of one user, against the API listening on a free port.
 */

let h: ApiHarness;
let url: string;
let userId: string;

const deviceOf = (user: string): Device => createDevice({ url, token: () => h.token(user) });

beforeAll(async () => {
  h = await createApiHarness({ app: { rateLimit: { syncMax: 1_000, linkMax: 1_000, clientSyncMax: 1_000 } } });
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  userId = await h.createUser();
  await h.linkAccount(userId, 'steam');
  await seedSteamLibrary(h.db, userId, steamLibrary({ games: 3, achievements: 4, earned: 2 }));
  await sql`insert into sync_logs (user_id, platform_id, mode, status, progress, stats, started_at, finished_at)
            values (${userId}::uuid, 3, 'full', 'succeeded', 100, '{"gamesSynced":3}', now(), now())`.execute(h.db);
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  watermelonErrors.length = 0;
});

const ids = (records: Map<string, Record<string, unknown>>) => [...records.keys()].sort();

describe('WatermelonDB synchronize() against the API', () => {
  let phone: Device;
  let tablet: Device;

  it('first sync: the user\'s platform data lands on the device, with the tombstones\' record ids and no credentials', async () => {
    phone = deviceOf(userId);
    await phone.sync();
    expect(ids(await phone.records('games'))).toEqual(['3:440', '3:441', '3:442']);
    expect((await phone.records('achievements')).size).toBe(12);
    expect(ids(await phone.records('user_progress'))).toEqual(['3:440', '3:441', '3:442']);
    expect(ids(await phone.records('user_achievements'))).toEqual(['3:440:ACH_0', '3:440:ACH_1', '3:441:ACH_0', '3:441:ACH_1', '3:442:ACH_0', '3:442:ACH_1']);
    expect((await phone.records('user_profile')).get(userId)).toMatchObject({ username: expect.any(String), sync_version: expect.any(Number), _status: 'synced' });
    const account = (await phone.records('platform_accounts')).get('3')!;
    expect(account).toMatchObject({ platform_id: 3, external_account_id: expect.any(String), sync_status: 'idle' });
    expect(Object.keys(account).filter((k) => /credential|cipher|token_/.test(k) && k !== 'token_expires_at')).toEqual([]);
    expect((await phone.records('sync_logs')).size).toBe(1);
    const progress = (await phone.records('user_progress')).get('3:440')!;
    expect(progress).toMatchObject({ game_id: '3:440', achievements_earned: 2, achievements_total: 4, completion_percentage: 50 });
    expect(typeof progress.last_played_at).toBe('number');
    // Hidden and not earned: no spoiler. Hidden and earned would show (ACH_3 is the hidden one here).
    expect((await phone.records('achievements')).get('3:440:ACH_3')).toMatchObject({ hidden: true, description: null });
    expect((await phone.records('achievements')).get('3:440:ACH_0')).toMatchObject({ description: 'Do thing 0' });
    expect(watermelonErrors).toEqual([]);
  });

  it('a second device pushes an edit and a delete; the first device\'s next sync receives both', async () => {
    const first = await phone.create('trophy_help_requests', { profile_id: userId, platform_id: 3, platform_game_id: '440', platform_achievement_id: 'ACH_3', message: 'how?', status: 'open' });
    const second = await phone.create('trophy_help_requests', { profile_id: userId, platform_id: 3, platform_game_id: '441', message: 'stuck', status: 'open' });
    await phone.sync();
    expect(phone.requests.push).toBeGreaterThanOrEqual(1);
    const stored = await sql<{ id: string; message: string }>`select id, message from trophy_help_requests where profile_id = ${userId}::uuid order by id`.execute(h.db);
    expect(stored.rows.map((r) => r.id).sort()).toEqual([first, second].sort());

    tablet = deviceOf(userId);
    await tablet.sync();
    expect(ids(await tablet.records('trophy_help_requests'))).toEqual([first, second].sort());
    await tablet.update('trophy_help_requests', first, { message: 'found it', status: 'resolved' });
    await tablet.remove('trophy_help_requests', second);
    await tablet.sync();

    await phone.sync();
    const onPhone = await phone.records('trophy_help_requests');
    expect(ids(onPhone)).toEqual([first]);
    expect(onPhone.get(first)).toMatchObject({ message: 'found it', status: 'resolved', _status: 'synced' });
    expect(watermelonErrors).toEqual([]);
  });

  it('a push racing a server change gets 409 conflict, nothing applied; the retry converges', async () => {
    const [id] = [...(await phone.records('trophy_help_requests')).keys()];
    await phone.update('trophy_help_requests', id!, { message: 'phone edit' });
    await phone.create('trophy_help_requests', { profile_id: userId, platform_id: 3, platform_game_id: '442', message: 'new on phone', status: 'open' });
    // Between the phone's pull and its push, the tablet changes the same record.
    await tablet.update('trophy_help_requests', id!, { status: 'open' });
    const raced = phone.sync({ afterPull: () => tablet.sync(), retryConflicts: false });
    await expect(raced).rejects.toBeInstanceOf(SyncHttpError);
    await expect(raced).rejects.toMatchObject({ status: 409, body: { code: 'conflict', conflicts: [{ table: 'trophy_help_requests', id, reason: 'changed' }] } });
    // Nothing of the refused push landed: the phone's new record is not on the server.
    const count = await sql<{ n: number }>`select count(*)::int as n from trophy_help_requests where profile_id = ${userId}::uuid and message = 'new on phone'`.execute(h.db);
    expect(count.rows[0]!.n).toBe(0);

    await phone.sync();
    await tablet.sync();
    const onPhone = await phone.records('trophy_help_requests');
    const onTablet = await tablet.records('trophy_help_requests');
    // Field-level merge on the phone: its own message, the tablet's status; both devices and the server agree.
    expect(onPhone.get(id!)).toMatchObject({ message: 'phone edit', status: 'open', _status: 'synced' });
    expect(onTablet.get(id!)).toMatchObject({ message: 'phone edit', status: 'open' });
    expect(ids(onTablet)).toEqual(ids(onPhone));
    const server = await sql<{ message: string; status: string }>`select message, status from trophy_help_requests where profile_id = ${userId}::uuid and id = ${id!}`.execute(h.db);
    expect(server.rows[0]).toEqual({ message: 'phone edit', status: 'open' });
  });

  it('a re-sync of the platform that removes a game reaches the device as a deletion of the game, its achievements, progress and unlocks', async () => {
    await removeVanishedTitles(h.db, { userId, platformId: 3, keepGameIds: ['440', '441'] });
    await phone.sync();
    expect(ids(await phone.records('games'))).toEqual(['3:440', '3:441']);
    expect(ids(await phone.records('user_progress'))).toEqual(['3:440', '3:441']);
    expect([...(await phone.records('achievements')).keys()].filter((k) => k.startsWith('3:442:'))).toEqual([]);
    expect([...(await phone.records('user_achievements')).keys()].filter((k) => k.startsWith('3:442:'))).toEqual([]);
    expect((await phone.records('achievements')).size).toBe(8);

    // Bought again: the game is live again, tombstone or not.
    await seedSteamLibrary(h.db, userId, steamLibrary({ games: 3, achievements: 4, earned: 1 }).slice(2));
    await phone.sync();
    expect(ids(await phone.records('games'))).toEqual(['3:440', '3:441', '3:442']);
    expect((await phone.records('achievements')).size).toBe(12);
    expect(ids(await phone.records('user_achievements')).filter((k) => k.startsWith('3:442:'))).toEqual(['3:442:ACH_0']);
    expect(watermelonErrors).toEqual([]);
  });

  it('the flex room is one per user: a second device\'s create becomes an update of the user\'s row, and the device ends with that row', async () => {
    const phoneFlex = await phone.create('flex_room_data', { profile_id: userId, showcase: JSON.stringify({ pinned: ['3:440'] }) });
    await phone.sync();
    const laptop = deviceOf(userId);
    // Created offline before the laptop's first sync: its own id.
    const laptopFlex = await laptop.create('flex_room_data', { profile_id: userId, showcase: JSON.stringify({ pinned: ['3:441'] }) });
    await laptop.sync();
    const server = await sql<{ id: string; showcase: unknown }>`select id, showcase from flex_room_data where profile_id = ${userId}::uuid`.execute(h.db);
    expect(server.rows).toEqual([{ id: phoneFlex, showcase: { pinned: ['3:441'] } }]);

    await laptop.sync();
    expect(ids(await laptop.records('flex_room_data'))).toEqual([phoneFlex]);
    expect(laptopFlex).not.toBe(phoneFlex);
    await phone.sync();
    expect(JSON.parse((await phone.records('flex_room_data')).get(phoneFlex)!.showcase as string)).toEqual({ pinned: ['3:441'] });
  });

  it('profile fields sync both ways; other profile columns stay the server\'s', async () => {
    await phone.update('user_profile', userId, { display_name: 'Phone Name', avatar_url: 'https://cdn.example/me.png', username: 'renamed_user' });
    await phone.sync();
    const row = await sql<{ username: string; display_name: string; avatar_url: string }>`select username, display_name, avatar_url from users where id = ${userId}::uuid`.execute(h.db);
    expect(row.rows[0]).toEqual({ username: 'renamed_user', display_name: 'Phone Name', avatar_url: 'https://cdn.example/me.png' });
    await tablet.sync();
    expect((await tablet.records('user_profile')).get(userId)).toMatchObject({ username: 'renamed_user', display_name: 'Phone Name' });
    expect(watermelonErrors).toEqual([]);
  });
});
