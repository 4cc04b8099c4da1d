import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYNC_JOB_NAME } from '@ach/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@ach/testing';
import { latestStatus, runQualityCheck, type QualityRunOutcome } from '../src/index.ts';
import { QUALITY_RUN_LOCK_KEY } from '../src/quality/run-lock.ts';
import { qualityHarness, type QualityHarness } from './support/monitor-harness.ts';
import { insertSyncRun, linkAccount, signUp, signUpGhost } from './support/quality-fixtures.ts';

let t: TestDatabase;
let r: TestRedis;
let h: QualityHarness;

beforeAll(() => {
  r = createTestRedis();
});
afterAll(async () => r?.cleanup());
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await h?.close();
  await r.cleanup();
  await t?.drop();
});

function ran(outcome: QualityRunOutcome) {
  if (!outcome.ran) throw new Error('the run was skipped');
  return outcome.run;
}

describe('runQualityCheck', () => {
  it('records the SQL checks and the monitor\'s own (stuck syncs, queue health) in one row', async () => {
    h = qualityHarness(t, r);
    await signUp(t.db);
    const run = ran(await runQualityCheck(h.deps, { mode: 'full' }));
    expect(run).toMatchObject({ mode: 'full', status: 'healthy', repairedGhostUsers: [], stuckSyncs: { requeued: [], failed: [] } });
    expect(run.checks.map((c) => c.checkName)).toEqual([
      'ghost_users', 'auth_triggers', 'auth_users_parity', 'progress_parity', 'orphaned_profiles', 'unresolved_sync_failures',
      'stuck_syncs', 'sync_failure_rate', 'queue_health', 'expiring_refresh_tokens',
    ]);
    expect(run.checks.find((c) => c.checkName === 'queue_health')).toEqual({
      checkName: 'queue_health', status: 'pass', severity: 'warning', observedValue: 0,
      details: {
        max_wait_ms: 15 * 60_000, late_queues: [],
        queues: Object.fromEntries(['sync-psn', 'sync-xbox', 'sync-steam'].map((q) => [q, {
          counts: { waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0 }, oldestWaitingAgeMs: null,
        }])),
      },
    });
    const latest = await latestStatus(t.db);
    expect(latest).toMatchObject({ id: run.id, status: 'healthy', checkType: 'full', totalAuthUsers: 1, totalPublicUsers: 1 });
    expect(latest!.checks).toEqual(run.checks);
  });

  it('repairs ghost users automatically (audited) and records what is left: a warning, not critical', async () => {
    h = qualityHarness(t, r, { autoBackfill: true });
    const ghost = await signUpGhost(t.db);
    const run = ran(await runQualityCheck(h.deps, { mode: 'full' }));
    expect(run.repairedGhostUsers).toEqual([ghost]);
    expect(run.status).toBe('warning');
    expect(run.checks.find((c) => c.checkName === 'ghost_users')).toEqual({
      checkName: 'ghost_users', status: 'warn', severity: 'critical', observedValue: 0,
      details: { scope: 'full', since: null, ids: [], truncated: false, repaired: 1, repaired_ids: [ghost] },
    });
    expect(run.checks.find((c) => c.checkName === 'auth_users_parity')).toMatchObject({ status: 'pass' });
    const audit = await sql<{ action: string; affected_count: number; performed_by: string }>`select action, affected_count, performed_by from cleanup_audit_log where action = 'backfill_ghost_users'`.execute(t.db);
    expect(audit.rows).toEqual([{ action: 'backfill_ghost_users', affected_count: 1, performed_by: 'monitor' }]);
    // Next run: nothing left, healthy.
    expect(ran(await runQualityCheck(h.deps, { mode: 'incremental' })).status).toBe('healthy');
  });

  it('leaves ghost users alone with auto-backfill off: critical', async () => {
    h = qualityHarness(t, r, { autoBackfill: false });
    const ghost = await signUpGhost(t.db);
    const run = ran(await runQualityCheck(h.deps, { mode: 'full' }));
    expect(run.status).toBe('critical');
    expect(run.checks.find((c) => c.checkName === 'ghost_users')).toMatchObject({ status: 'fail', observedValue: 1, details: { ids: [ghost] } });
    expect((await sql`select 1 from users where id = ${ghost}`.execute(t.db)).rows).toEqual([]);
  });

  it('sweeps stuck syncs as part of the run', async () => {
    h = qualityHarness(t, r);
    const userId = await signUp(t.db);
    await linkAccount(t.db, userId, 1);
    const syncId = await insertSyncRun(t.db, { userId, platformId: 1, status: 'running', updatedAt: new Date(Date.now() - 3_600_000) });
    const run = ran(await runQualityCheck(h.deps, { mode: 'full' }));
    expect(run.stuckSyncs).toEqual({ requeued: [syncId], failed: [] });
    expect(run.status).toBe('warning');
    const queue = (await h.queues.list()).find((q) => q.platform === 'psn')!.queue;
    expect(await queue.getJobState(syncId)).toBe('waiting');
  });

  it('warns when a sync queue\'s oldest job has waited too long', async () => {
    h = qualityHarness(t, r, { queueMaxWaitMs: 60_000 });
    const queue = (await h.queues.list()).find((q) => q.platform === 'xbox')!.queue;
    const userId = await signUp(t.db);
    await queue.add(SYNC_JOB_NAME, { syncId: crypto.randomUUID(), userId, platform: 'xbox', mode: 'full' }, { timestamp: Date.now() - 2 * 3_600_000 });
    const run = ran(await runQualityCheck(h.deps, { mode: 'full' }));
    const health = run.checks.find((c) => c.checkName === 'queue_health')!;
    expect(health).toMatchObject({ status: 'warn', details: { late_queues: ['sync-xbox'], queues: { 'sync-xbox': { counts: { waiting: 1 } } } } });
    expect(health.observedValue).toBeGreaterThanOrEqual(7_200);
    expect(run.status).toBe('warning');
  });

  it('runs incrementally once something was recorded', async () => {
    h = qualityHarness(t, r);
    expect(ran(await runQualityCheck(h.deps, { mode: 'incremental' })).mode).toBe('full');
    const second = ran(await runQualityCheck(h.deps, { mode: 'incremental' }));
    expect(second.mode).toBe('incremental');
    expect(second.checks.find((c) => c.checkName === 'ghost_users')!.details.scope).toBe('window');
  });

  it('applies retention on full runs only', async () => {
    h = qualityHarness(t, r);
    const userId = await signUp(t.db);
    await sql`insert into user_sync_monitoring_log (run_at, status) values (now() - interval '100 days', 'healthy')`.execute(t.db);
    await sql`insert into deleted_records (user_id, table_name, record_id, deleted_at) values (${userId}, 'user_progress', '3:1', now() - interval '40 days')`.execute(t.db);
    expect(ran(await runQualityCheck(h.deps, { mode: 'full' })).retention).toEqual({ tombstones: 1, monitoringLogs: 1 });
    await sql`insert into user_sync_monitoring_log (run_at, status) values (now() - interval '100 days', 'healthy')`.execute(t.db);
    const incremental = ran(await runQualityCheck(h.deps, { mode: 'incremental' }));
    expect(incremental.mode).toBe('incremental');
    expect(incremental.retention).toBeUndefined();
    expect((await sql`select 1 from user_sync_monitoring_log where run_at < now() - interval '90 days'`.execute(t.db)).rows).toHaveLength(1);
  });

  it('runs one at a time: a second caller skips, or waits when asked to', async () => {
    h = qualityHarness(t, r);
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [QUALITY_RUN_LOCK_KEY]);
      expect(await runQualityCheck(h.deps, { mode: 'full' })).toEqual({ ran: false, reason: 'busy' });
      expect(await latestStatus(t.db)).toBeUndefined();
      const waiting = runQualityCheck(h.deps, { mode: 'full', lockWaitMs: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await latestStatus(t.db)).toBeUndefined();
      await holder.query('select pg_advisory_unlock($1)', [QUALITY_RUN_LOCK_KEY]);
      expect((await waiting).ran).toBe(true);
    } finally {
      await holder.end();
    }
  });
});
