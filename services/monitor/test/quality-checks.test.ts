import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import {
  insertSyncRun, linkAccount, notPassing, recordMetrics, runChecks, seedProgress, setTrigger, signUp, signUpGhost,
} from './support/quality-fixtures.ts';

/**
 * The SQL side of the monitor (db/migrations/0007_quality_checks.ts), as an operator runs it from
 * psql: each check is tested by creating the condition it detects and asserting its exact row and the
 * overall status record_user_sync_metrics() returns. Functions covered here: check_ghost_users,
 * check_orphaned_profiles, check_progress_parity, get_user_sync_stats, user_sync_findings (and its
 * aggregate first_uuids with first_uuids_step and first_uuids_combine), auth_trigger_status,
 * run_user_sync_quality_check, quality_overall_status, quality_check_window_start,
 * record_user_sync_metrics, get_latest_sync_status, get_sync_status_history, cleanup_old_monitoring_logs.
 */

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => t?.drop());

const passing = (name: string, severity: string, value: number, details: Record<string, unknown>) => ({
  check_name: name, status: 'pass', severity, observed_value: value, details,
});

describe('the healthy case', () => {
  it('passes every check and records healthy', async () => {
    const user = await signUp(t.db);
    await seedProgress(t.db, user);
    await linkAccount(t.db, user, 3, new Date(Date.now() + 30 * 86_400_000));
    const checks = await runChecks(t.db);
    expect(Object.keys(checks)).toEqual([
      'ghost_users', 'orphaned_profiles', 'auth_users_parity', 'auth_triggers', 'unresolved_sync_failures',
      'progress_parity', 'sync_failure_rate', 'expiring_refresh_tokens',
    ]);
    expect(checks.ghost_users).toEqual(passing('ghost_users', 'critical', 0, { scope: 'full', since: null, ids: [], truncated: false }));
    expect(checks.orphaned_profiles).toEqual(passing('orphaned_profiles', 'warning', 0, { scope: 'full', since: null, ids: [], truncated: false }));
    expect(checks.auth_users_parity).toEqual(passing('auth_users_parity', 'critical', 0, {
      measured: true, as_of: expect.any(String), total_auth_users: 1, active_auth_users: 1, deleted_auth_users: 0, total_public_users: 1,
    }));
    expect(checks.auth_triggers).toEqual(passing('auth_triggers', 'critical', 2, {
      expected: 2,
      triggers: [
        { name: 'on_auth_user_created', present: true, enabled: true, function: 'public.handle_new_user' },
        { name: 'on_auth_user_updated', present: true, enabled: true, function: 'public.handle_user_update' },
      ],
    }));
    expect(checks.unresolved_sync_failures).toEqual(passing('unresolved_sync_failures', 'warning', 0, { new_since_last_run: 0, by_operation: {}, latest: [] }));
    expect(checks.progress_parity).toEqual(passing('progress_parity', 'critical', 0, { scope: 'full', since: null, ids: [], truncated: false }));
    expect(checks.sync_failure_rate).toEqual(passing('sync_failure_rate', 'warning', 0, { window_hours: 24, min_runs: 10, threshold: 0.25, platforms: {} }));
    expect(checks.expiring_refresh_tokens).toEqual(passing('expiring_refresh_tokens', 'info', 0, { within_days: 7, expired_last_30_days: 0, accounts: [], truncated: false }));

    expect(await recordMetrics(t.db)).toBe('healthy');
    const latest = await sql<{ status: string; check_type: string; ghost_users: number; total_auth_users: number; total_public_users: number; checks: Record<string, unknown> }>`
      select * from get_latest_sync_status()`.execute(t.db);
    expect(latest.rows[0]).toMatchObject({ status: 'healthy', check_type: 'full', ghost_users: 0, total_auth_users: 1, total_public_users: 1 });
    expect(Object.keys(latest.rows[0]!.checks)).toHaveLength(8);
  });

  it('get_user_sync_stats counts everything in one pass', async () => {
    await signUp(t.db);
    const deleted = await signUp(t.db);
    await sql`update auth.users set deleted_at = now() where id = ${deleted}`.execute(t.db);
    await signUpGhost(t.db);
    const { rows } = await sql`select * from get_user_sync_stats()`.execute(t.db);
    expect(rows).toEqual([{ total_auth_users: 3, active_auth_users: 2, deleted_auth_users: 1, total_public_users: 2, ghost_users: 1, orphaned_profiles: 1 }]);
  });
});

describe('the full run lists the ghosts and orphans it counts (user_sync_findings, first_uuids)', () => {
  /** Ghosts created in bulk with the trigger off, created_at in the reverse of insertion order. */
  async function plantGhosts(count: number): Promise<string[]> {
    return t.db.transaction().execute(async (trx) => {
      await sql`alter table auth.users disable trigger on_auth_user_created`.execute(trx);
      const { rows } = await sql<{ id: string }>`
        insert into auth.users (email, created_at)
        select 'bulk-ghost-' || i || '@example.com', now() - i * interval '1 minute' from generate_series(1, ${count}::int) i
        returning id`.execute(trx);
      await sql`alter table auth.users enable trigger on_auth_user_created`.execute(trx);
      return rows.map((r) => r.id);
    });
  }
  /** The full run's ghost check, serial or with the planner pushed to parallel workers (partial lists combined). */
  async function ghostCheck(parallel: boolean) {
    return t.db.transaction().execute(async (trx) => {
      if (parallel) {
        for (const setting of ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2']) {
          await sql.raw(`set local ${setting}`).execute(trx);
        }
      }
      const { rows } = await sql<{ observed_value: number; details: { ids: string[]; truncated: boolean } }>`
        select observed_value, details from run_user_sync_quality_check() where check_name = 'ghost_users'`.execute(trx);
      return rows[0]!;
    });
  }

  for (const parallel of [false, true]) {
    it(`up to 1,000: every one, oldest first${parallel ? ' (parallel plan)' : ''}`, async () => {
      const ghosts = await plantGhosts(40);
      const check = await ghostCheck(parallel);
      expect(check.observed_value).toBe(40);
      expect(check.details).toMatchObject({ truncated: false, ids: [...ghosts].reverse() });
    });
  }

  it('past 1,000: the count, and exactly the 1,000 oldest (an ordered second query)', async () => {
    const ghosts = await plantGhosts(1_030);
    for (const parallel of [false, true]) {
      const check = await ghostCheck(parallel);
      expect(check.observed_value).toBe(1_030);
      expect(check.details.truncated).toBe(true);
      expect(check.details.ids).toEqual([...ghosts].reverse().slice(0, 1_000));
    }
    // The collector itself keeps at most 1,000 (any 1,000) whichever way the rows were split.
    const { rows } = await sql<{ n: number }>`select cardinality(ghost_ids) as n from user_sync_findings()`.execute(t.db);
    expect(rows).toEqual([{ n: 1_000 }]);
  });
});

describe('each check finds the condition it is about', () => {
  it('an auth user inserted with the trigger disabled is a ghost user (critical), and breaks count parity', async () => {
    await signUp(t.db);
    const ghost = await signUpGhost(t.db, 'ghost@example.com');
    const checks = await runChecks(t.db);
    expect(checks.ghost_users).toEqual({
      check_name: 'ghost_users', status: 'fail', severity: 'critical', observed_value: 1,
      details: { scope: 'full', since: null, ids: [ghost], truncated: false },
    });
    expect(checks.auth_users_parity).toMatchObject({ status: 'fail', severity: 'critical', observed_value: 1, details: { total_auth_users: 2, total_public_users: 1 } });
    expect(notPassing(checks)).toEqual(['auth_users_parity', 'ghost_users']);
    expect(await recordMetrics(t.db)).toBe('critical');

    const listed = await sql<{ user_id: string; email: string }>`select user_id, email from check_ghost_users()`.execute(t.db);
    expect(listed.rows).toEqual([{ user_id: ghost, email: 'ghost@example.com' }]);
    // A soft-deleted auth user without a profile cannot sign in: not a ghost.
    await sql`update auth.users set deleted_at = now() where id = ${ghost}`.execute(t.db);
    expect((await sql`select * from check_ghost_users()`.execute(t.db)).rows).toEqual([]);
  });

  it('check_ghost_users(since) sees only signups from then on', async () => {
    const old = await signUpGhost(t.db, undefined, new Date(Date.now() - 3 * 3_600_000));
    const recent = await signUpGhost(t.db);
    const window = await sql<{ user_id: string }>`select user_id from check_ghost_users(now() - interval '1 hour')`.execute(t.db);
    expect(window.rows.map((r) => r.user_id)).toEqual([recent]);
    const all = await sql<{ user_id: string }>`select user_id from check_ghost_users()`.execute(t.db);
    expect(all.rows.map((r) => r.user_id)).toEqual([old, recent]);
  });

  it('a profile whose auth user is soft-deleted is orphaned (warning)', async () => {
    const user = await signUp(t.db);
    await signUp(t.db);
    await sql`update auth.users set deleted_at = now() where id = ${user}`.execute(t.db);
    const checks = await runChecks(t.db);
    expect(checks.orphaned_profiles).toEqual({
      check_name: 'orphaned_profiles', status: 'warn', severity: 'warning', observed_value: 1,
      details: { scope: 'full', since: null, ids: [user], truncated: false },
    });
    // Every auth user still has its profile: parity holds.
    expect(notPassing(checks)).toEqual(['orphaned_profiles']);
    expect(await recordMetrics(t.db)).toBe('warning');
    const listed = await sql<{ user_id: string }>`select user_id from check_orphaned_profiles()`.execute(t.db);
    expect(listed.rows).toEqual([{ user_id: user }]);
    const recent = await sql<{ user_id: string }>`select user_id from check_orphaned_profiles(now() - interval '1 minute')`.execute(t.db);
    expect(recent.rows).toEqual([{ user_id: user }]);
  });

  it('a disabled auth trigger fails (critical); a missing one too', async () => {
    await setTrigger(t.db, 'on_auth_user_updated', false);
    let checks = await runChecks(t.db);
    expect(checks.auth_triggers).toEqual({
      check_name: 'auth_triggers', status: 'fail', severity: 'critical', observed_value: 1,
      details: {
        expected: 2,
        triggers: [
          { name: 'on_auth_user_created', present: true, enabled: true, function: 'public.handle_new_user' },
          { name: 'on_auth_user_updated', present: true, enabled: false, function: 'public.handle_user_update' },
        ],
      },
    });
    expect(notPassing(checks)).toEqual(['auth_triggers']);
    expect(await recordMetrics(t.db)).toBe('critical');

    await setTrigger(t.db, 'on_auth_user_updated', true);
    await sql`drop trigger on_auth_user_created on auth.users`.execute(t.db);
    checks = await runChecks(t.db);
    expect(checks.auth_triggers!.observed_value).toBe(1);
    expect((checks.auth_triggers!.details.triggers as unknown[])[0]).toEqual({ name: 'on_auth_user_created', present: false, enabled: false, function: null });
    const status = await sql`select * from auth_trigger_status()`.execute(t.db);
    expect(status.rows).toEqual([
      { trigger_name: 'on_auth_user_created', present: false, enabled: false, function_name: null },
      { trigger_name: 'on_auth_user_updated', present: true, enabled: true, function_name: 'public.handle_user_update' },
    ]);
  });

  it('a user_achievements row deleted behind a progress row is a parity breach (critical)', async () => {
    const user = await signUp(t.db);
    await seedProgress(t.db, user, '232050', 3);
    await sql`delete from user_achievements where user_id = ${user} and platform_achievement_id = 'ACH_2'`.execute(t.db);
    const checks = await runChecks(t.db);
    expect(checks.progress_parity).toEqual({
      check_name: 'progress_parity', status: 'fail', severity: 'critical', observed_value: 1,
      details: {
        scope: 'full', since: null, truncated: false,
        ids: [{ user_id: user, platform_id: 3, platform_game_id: '232050', achievements_earned: 3, stored_achievements: 2 }],
      },
    });
    expect(notPassing(checks)).toEqual(['progress_parity']);
    expect(await recordMetrics(t.db)).toBe('critical');
    const listed = await sql`select * from check_progress_parity()`.execute(t.db);
    expect(listed.rows).toEqual([{ user_id: user, platform_id: 3, platform_game_id: '232050', achievements_earned: 3, stored_achievements: 2 }]);
  });

  it('unlocks without a progress row are a parity breach too', async () => {
    const user = await signUp(t.db);
    await seedProgress(t.db, user, '440', 2);
    await sql`delete from user_progress where user_id = ${user}`.execute(t.db);
    const listed = await sql`select * from check_progress_parity()`.execute(t.db);
    expect(listed.rows).toEqual([{ user_id: user, platform_id: 3, platform_game_id: '440', achievements_earned: null, stored_achievements: 2 }]);
  });

  it('unresolved user_sync_failures warn, with what is new since the last run', async () => {
    const user = await signUp(t.db);
    await sql`insert into user_sync_failures (user_id, operation, error_code, error_message, occurred_at)
              values (${user}, 'update', '23505', 'duplicate key', now() - interval '2 hours')`.execute(t.db);
    expect(await recordMetrics(t.db)).toBe('warning');
    await sql`insert into user_sync_failures (user_id, operation, error_code, error_message) values (${user}, 'insert', '23514', 'check violation')`.execute(t.db);
    await sql`insert into user_sync_failures (user_id, operation, resolved_at) values (${user}, 'insert', now())`.execute(t.db);
    const checks = await runChecks(t.db);
    expect(checks.unresolved_sync_failures).toEqual({
      check_name: 'unresolved_sync_failures', status: 'warn', severity: 'warning', observed_value: 2,
      details: {
        new_since_last_run: 1,
        by_operation: { insert: 1, update: 1 },
        latest: [
          expect.objectContaining({ user_id: user, operation: 'insert', error_code: '23514', error_message: 'check violation' }),
          expect.objectContaining({ user_id: user, operation: 'update', error_code: '23505', error_message: 'duplicate key' }),
        ],
      },
    });
  });

  it('rates system failures per platform over 24 h; the user\'s own failures are listed, not rated', async () => {
    const user = await signUp(t.db);
    const finishedAt = new Date(Date.now() - 3_600_000);
    // One finished run per user and platform at a time is all the schema allows live; finished runs are free.
    for (let i = 0; i < 6; i++) await insertSyncRun(t.db, { userId: user, platformId: 3, status: 'succeeded', finishedAt });
    for (let i = 0; i < 3; i++) await insertSyncRun(t.db, { userId: user, platformId: 3, status: 'failed', errorCode: 'platform_unavailable', finishedAt });
    await insertSyncRun(t.db, { userId: user, platformId: 3, status: 'failed', errorCode: 'profile_private', finishedAt });
    await insertSyncRun(t.db, { userId: user, platformId: 2, status: 'failed', errorCode: 'xbox_child_account', finishedAt });
    // Older than the window: not counted.
    await insertSyncRun(t.db, { userId: user, platformId: 3, status: 'failed', errorCode: 'internal_error', finishedAt: new Date(Date.now() - 30 * 3_600_000) });
    const checks = await runChecks(t.db);
    expect(checks.sync_failure_rate).toEqual({
      check_name: 'sync_failure_rate', status: 'warn', severity: 'warning', observed_value: 0.3,
      details: {
        window_hours: 24, min_runs: 10, threshold: 0.25,
        platforms: {
          steam: { finished: 10, failed: 4, system_failed: 3, rate: 0.3, by_error_code: { platform_unavailable: 3, profile_private: 1 } },
          xbox: { finished: 1, failed: 1, system_failed: 0, rate: 0, by_error_code: { xbox_child_account: 1 } },
        },
      },
    });
    expect(await recordMetrics(t.db)).toBe('warning');
  });

  it('flags linked accounts whose refresh token expires within 7 days (info: reported, not alerted)', async () => {
    const user = await signUp(t.db);
    const other = await signUp(t.db);
    const expiresAt = new Date(Date.now() + 2 * 86_400_000);
    await linkAccount(t.db, user, 1, expiresAt);
    await linkAccount(t.db, user, 2, new Date(Date.now() + 30 * 86_400_000));
    await linkAccount(t.db, other, 1, new Date(Date.now() - 86_400_000));
    // Lapsed long ago: old news, not counted.
    await linkAccount(t.db, other, 2, new Date(Date.now() - 40 * 86_400_000));
    const checks = await runChecks(t.db);
    expect(checks.expiring_refresh_tokens).toEqual({
      check_name: 'expiring_refresh_tokens', status: 'warn', severity: 'info', observed_value: 1,
      details: { within_days: 7, expired_last_30_days: 1, truncated: false, accounts: [{ user_id: user, platform: 'psn', refresh_expires_at: expect.any(String) }] },
    });
    expect(new Date((checks.expiring_refresh_tokens!.details.accounts as { refresh_expires_at: string }[])[0]!.refresh_expires_at).getTime()).toBe(expiresAt.getTime());
    expect(await recordMetrics(t.db)).toBe('healthy');
  });
});

describe('incremental runs', () => {
  it('look at signups since the window start, and keep reporting what the previous run listed until it is gone', async () => {
    // A ghost from long ago: the incremental window cannot see it, only a full run can.
    const old = await signUpGhost(t.db, undefined, new Date(Date.now() - 48 * 3_600_000));
    const since = new Date(Date.now() - 60_000);
    const first = await runChecks(t.db, since);
    // Nothing recorded yet: the "incremental" run measures in full.
    expect(first.ghost_users).toMatchObject({ status: 'fail', observed_value: 1, details: { scope: 'full', ids: [old] } });
    expect(await recordMetrics(t.db, 'full')).toBe('critical');

    // The full run listed the old ghost: the incremental re-checks it by id.
    const window = await sql<{ since: Date }>`select quality_check_window_start() as since`.execute(t.db);
    const windowStart = window.rows[0]!.since;
    const recheck = await runChecks(t.db, windowStart);
    expect(recheck.ghost_users).toMatchObject({ status: 'fail', observed_value: 1, details: { scope: 'window+recheck', ids: [old] } });
    // Count parity failed last time: measured again, in full.
    expect(recheck.auth_users_parity).toMatchObject({ status: 'fail', details: { measured: true } });

    const recent = await signUpGhost(t.db);
    expect((await runChecks(t.db, windowStart)).ghost_users).toMatchObject({ observed_value: 2, details: { ids: [old, recent] } });

    // Repaired: the next incremental run passes, and from then on looks at new signups only.
    await sql`select ensure_user_profile(id) from auth.users`.execute(t.db);
    expect(await recordMetrics(t.db, 'incremental')).toBe('healthy');
    const after = await runChecks(t.db, new Date(Date.now() - 60_000));
    expect(after.ghost_users).toMatchObject({ status: 'pass', details: { scope: 'window', ids: [] } });
    // Parity passed when last counted: carried, not re-counted.
    expect(after.auth_users_parity).toMatchObject({ status: 'pass', details: { measured: false, total_auth_users: 2, total_public_users: 2 } });
  });

  it('measure in full when the previous list was truncated', async () => {
    await signUpGhost(t.db);
    await recordMetrics(t.db);
    await sql`update user_sync_monitoring_log set checks = jsonb_set(checks, '{ghost_users,details,truncated}', 'true')`.execute(t.db);
    const old = await signUpGhost(t.db, undefined, new Date(Date.now() - 48 * 3_600_000));
    const checks = await runChecks(t.db, new Date(Date.now() - 60_000));
    expect(checks.ghost_users).toMatchObject({ observed_value: 2, details: { scope: 'full' } });
    expect(checks.ghost_users!.details.ids).toContain(old);
  });

  it('re-check progress breaches by key and see the games of syncs finished in the window', async () => {
    const user = await signUp(t.db);
    await seedProgress(t.db, user, '100', 2);
    await seedProgress(t.db, user, '200', 2);
    await sql`delete from user_achievements where platform_game_id = '100' and platform_achievement_id = 'ACH_1'`.execute(t.db);
    expect(await recordMetrics(t.db)).toBe('critical');
    const since = new Date(Date.now() - 60_000);
    // A breach made behind the monitor's back, in a game no sync touched: the incremental run cannot see it…
    await sql`delete from user_achievements where platform_game_id = '200' and platform_achievement_id = 'ACH_1'`.execute(t.db);
    let checks = await runChecks(t.db, since);
    expect(checks.progress_parity).toMatchObject({ observed_value: 1, details: { scope: 'window+recheck', ids: [expect.objectContaining({ platform_game_id: '100' })] } });
    // …until a sync of that user and platform finishes in the window.
    await insertSyncRun(t.db, { userId: user, platformId: 3, status: 'succeeded', finishedAt: new Date() });
    checks = await runChecks(t.db, since);
    expect((checks.progress_parity!.details.ids as { platform_game_id: string }[]).map((k) => k.platform_game_id)).toEqual(['100', '200']);
  });
});

describe('recording and reading runs', () => {
  it('record_user_sync_metrics merges the monitor\'s own checks into the row and rejects malformed ones', async () => {
    const { rows } = await sql<{ c: unknown[] }>`select jsonb_agg(to_jsonb(r)) as c from run_user_sync_quality_check() r`.execute(t.db);
    const checks = [...rows[0]!.c, { check_name: 'stuck_syncs', status: 'warn', severity: 'warning', observed_value: 2, details: { requeued: ['a'] } }];
    const recorded = await sql<{ s: string }>`select record_user_sync_metrics(${JSON.stringify(checks)}::jsonb, 'incremental', now() - interval '2 seconds') as s`.execute(t.db);
    expect(recorded.rows[0]!.s).toBe('warning');
    const latest = await sql<{ check_type: string; checks: Record<string, unknown>; duration_ms: number }>`select * from get_latest_sync_status()`.execute(t.db);
    expect(latest.rows[0]!.check_type).toBe('incremental');
    expect(latest.rows[0]!.checks.stuck_syncs).toEqual({ status: 'warn', severity: 'warning', observed_value: 2, details: { requeued: ['a'] } });
    expect(latest.rows[0]!.duration_ms).toBeGreaterThanOrEqual(2_000);

    for (const bad of [
      '[]', '{}', '[{"check_name":"x","status":"ok","severity":"warning","observed_value":1,"details":{}}]',
      '[{"check_name":"x","status":"pass","severity":"urgent","observed_value":1,"details":{}}]',
      '[{"check_name":"Bad Name","status":"pass","severity":"info","observed_value":1,"details":{}}]',
      '[{"check_name":"x","status":"pass","severity":"info","observed_value":"1","details":{}}]',
      '[{"check_name":"x","status":"pass","severity":"info","observed_value":1,"details":{}},{"check_name":"x","status":"pass","severity":"info","observed_value":1,"details":{}}]',
    ]) {
      await expect(sql`select record_user_sync_metrics(${bad}::jsonb)`.execute(t.db), bad).rejects.toMatchObject({ code: '22023' });
    }
    await expect(sql`select record_user_sync_metrics(null, 'daily')`.execute(t.db)).rejects.toMatchObject({ code: '22023' });
  });

  it('quality_overall_status: a failed critical check is critical; anything else not passing below info is a warning', async () => {
    const status = async (checks: unknown[]) =>
      (await sql<{ s: string }>`select quality_overall_status(${JSON.stringify(checks)}::jsonb) as s`.execute(t.db)).rows[0]!.s;
    const c = (s: string, severity: string) => ({ status: s, severity });
    expect(await status([c('pass', 'critical'), c('pass', 'warning')])).toBe('healthy');
    expect(await status([c('warn', 'info'), c('fail', 'info')])).toBe('healthy');
    expect(await status([c('warn', 'warning')])).toBe('warning');
    expect(await status([c('fail', 'warning')])).toBe('warning');
    expect(await status([c('warn', 'critical')])).toBe('warning');
    expect(await status([c('fail', 'critical'), c('warn', 'warning')])).toBe('critical');
  });

  it('get_sync_status_history lists the runs of the last days with their failing checks', async () => {
    await recordMetrics(t.db);
    await signUpGhost(t.db);
    await recordMetrics(t.db);
    await sql`insert into user_sync_monitoring_log (run_at, status) values (now() - interval '10 days', 'healthy')`.execute(t.db);
    const { rows } = await sql<{ status: string; failing_checks: string[] }>`select * from get_sync_status_history(7)`.execute(t.db);
    expect(rows.map((r) => [r.status, r.failing_checks])).toEqual([['healthy', []], ['critical', ['auth_users_parity', 'ghost_users']]]);
    expect((await sql`select * from get_sync_status_history(30)`.execute(t.db)).rows).toHaveLength(3);
    await expect(sql`select * from get_sync_status_history(0)`.execute(t.db)).rejects.toMatchObject({ code: '22023' });
    await expect(sql`select * from get_sync_status_history(400)`.execute(t.db)).rejects.toMatchObject({ code: '22023' });
  });

  it('cleanup_old_monitoring_logs keeps 90 days of runs and alerts, audited', async () => {
    await sql`insert into user_sync_monitoring_log (run_at, status) values (now() - interval '91 days', 'healthy'), (now() - interval '89 days', 'warning')`.execute(t.db);
    await sql`insert into monitor_alert_log (sent_at, kind, status, summary) values (now() - interval '91 days', 'alert', 'critical', 'old'), (now(), 'recovery', 'healthy', 'new')`.execute(t.db);
    const { rows } = await sql<{ n: number }>`select cleanup_old_monitoring_logs() as n`.execute(t.db);
    expect(rows[0]!.n).toBe(1);
    expect((await sql<{ status: string }>`select status from user_sync_monitoring_log`.execute(t.db)).rows).toEqual([{ status: 'warning' }]);
    expect((await sql<{ summary: string }>`select summary from monitor_alert_log`.execute(t.db)).rows).toEqual([{ summary: 'new' }]);
    const audit = await sql<{ action: string; affected_count: number; details: Record<string, unknown> }>`select action, affected_count, details from cleanup_audit_log`.execute(t.db);
    expect(audit.rows).toEqual([{ action: 'cleanup_old_monitoring_logs', affected_count: 1, details: expect.objectContaining({ retention_days: 90, alert_rows_deleted: 1 }) }]);
  });
});

describe('execute rights', () => {
  const callable = [
    'check_ghost_users()', 'check_orphaned_profiles()', 'check_progress_parity()', 'get_user_sync_stats()', 'auth_trigger_status()',
    'run_user_sync_quality_check()', 'record_user_sync_metrics()', 'get_latest_sync_status()', 'get_sync_status_history(30)',
    'backfill_ghost_users(true)', 'cleanup_old_monitoring_logs()', 'quality_check_window_start()', `quality_overall_status('[]')`,
  ];

  it('the service role may run every function; anon and authenticated none', async () => {
    for (const role of ['anon', 'authenticated', 'service_role']) {
      for (const call of callable) {
        const attempt = t.db.transaction().execute(async (trx) => {
          await sql`set local role ${sql.raw(role)}`.execute(trx);
          await sql`select * from ${sql.raw(call)}`.execute(trx);
        });
        if (role === 'service_role') await expect(attempt, `${role} ${call}`).resolves.toBeUndefined();
        else await expect(attempt, `${role} ${call}`).rejects.toMatchObject({ code: '42501' });
      }
    }
  });
});
