import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { backfillGhostUsers } from '../src/index.ts';
import { setTrigger, signUp, signUpGhost } from './support/quality-fixtures.ts';

/** backfill_ghost_users(dry_run) from psql and through the monitor's backfillGhostUsers(). */

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => t?.drop());

const profiles = async () => (await sql<{ id: string; username: string; created_at: Date }>`select id, username, created_at from users order by created_at`.execute(t.db)).rows;
const audit = async () =>
  (await sql<{ action: string; affected_count: number; details: Record<string, unknown>; performed_by: string }>`
    select action, affected_count, details, performed_by from cleanup_audit_log order by id`.execute(t.db)).rows;

/** Runs a statement on a client of its own and returns the WARNING notices it raised. */
async function warningsOf(url: string, statement: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  const warnings: string[] = [];
  client.on('notice', (notice) => {
    if (notice.severity === 'WARNING') warnings.push(notice.message ?? '');
  });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
  return warnings;
}

describe('backfill_ghost_users', () => {
  it('dry run lists the ghost users and writes nothing', async () => {
    await signUp(t.db, 'fine@example.com');
    const createdAt = new Date('2025-01-02T03:04:05.678Z');
    const ghost = await signUpGhost(t.db, 'ghost.one@example.com', createdAt);
    const before = await profiles();
    const { rows } = await sql`select * from backfill_ghost_users(true)`.execute(t.db);
    expect(rows).toEqual([{ user_id: ghost, email: 'ghost.one@example.com', auth_created_at: createdAt, action: 'would_create' }]);
    // The default is a dry run.
    expect((await sql`select * from backfill_ghost_users()`.execute(t.db)).rows).toEqual(rows);
    expect(await profiles()).toEqual(before);
    expect(await audit()).toEqual([]);
  });

  it('real run repairs with the trigger\'s mapping and auth created_at, audits, resolves the insert failures, and is idempotent', async () => {
    const createdAt = new Date('2025-01-02T03:04:05.678Z');
    const ghost = await signUpGhost(t.db, 'Ghost.One@example.com', createdAt);
    await sql`insert into user_sync_failures (user_id, operation, error_code) values (${ghost}, 'insert', '23505'), (${ghost}, 'update', '23505')`.execute(t.db);
    const { rows } = await sql`select * from backfill_ghost_users(dry_run => false, performed_by => 'ops@example.com')`.execute(t.db);
    expect(rows).toEqual([{ user_id: ghost, email: 'Ghost.One@example.com', auth_created_at: createdAt, action: 'created' }]);
    expect(await profiles()).toEqual([{ id: ghost, username: 'ghost_one', created_at: createdAt }]);
    expect(await audit()).toEqual([{
      action: 'backfill_ghost_users', affected_count: 1, performed_by: 'ops@example.com',
      details: { ghosts_found: 1, created: [ghost], failed: [], failures_resolved: 1, scope: 'all', warnings: [] },
    }]);
    const failures = await sql<{ operation: string; resolved: boolean }>`select operation, resolved_at is not null as resolved from user_sync_failures order by operation`.execute(t.db);
    expect(failures.rows).toEqual([{ operation: 'insert', resolved: true }, { operation: 'update', resolved: false }]);

    // Again: nothing left to do; the run is still audited (someone ran it), with nothing changed.
    const again = await sql`select * from backfill_ghost_users(false)`.execute(t.db);
    expect(again.rows).toEqual([]);
    expect(await profiles()).toEqual([{ id: ghost, username: 'ghost_one', created_at: createdAt }]);
    const audits = await audit();
    expect(audits).toHaveLength(2);
    expect(audits[1]).toMatchObject({ affected_count: 0, details: { ghosts_found: 0, created: [], failures_resolved: 0 }, performed_by: expect.any(String) });
  });

  it('user_ids limits the run to those users', async () => {
    const a = await signUpGhost(t.db);
    const b = await signUpGhost(t.db);
    const { rows } = await sql<{ user_id: string; action: string }>`select user_id, action from backfill_ghost_users(false, 'monitor', ${[b]}::uuid[])`.execute(t.db);
    expect(rows).toEqual([{ user_id: b, action: 'created' }]);
    expect((await profiles()).map((p) => p.id)).toEqual([b]);
    expect((await audit())[0]).toMatchObject({ performed_by: 'monitor', details: { scope: 'listed', created: [b] } });
    expect((await sql<{ user_id: string }>`select user_id from check_ghost_users()`.execute(t.db)).rows).toEqual([{ user_id: a }]);
  });

  it('warns when on_auth_user_created is disabled or missing (the backfill is then not the whole fix)', async () => {
    await signUpGhost(t.db);
    await setTrigger(t.db, 'on_auth_user_created', false);
    expect(await warningsOf(t.url, 'select * from backfill_ghost_users(true)')).toEqual([
      'on_auth_user_created is disabled: new signups will keep creating ghost users (alter table auth.users enable trigger on_auth_user_created)',
    ]);
    expect(await warningsOf(t.url, 'select * from backfill_ghost_users(false)')).toHaveLength(1);
    expect((await audit())[0]!.details.warnings).toEqual([
      'on_auth_user_created is disabled: new signups will keep creating ghost users (alter table auth.users enable trigger on_auth_user_created)',
    ]);
    await sql`drop trigger on_auth_user_created on auth.users`.execute(t.db);
    expect(await warningsOf(t.url, 'select * from backfill_ghost_users(true)')).toEqual([
      'on_auth_user_created is missing on auth.users: new signups will keep creating ghost users (run npm run db:migrate)',
    ]);
    // With the trigger in place there is nothing to warn about.
    await sql`create trigger on_auth_user_created after insert on auth.users referencing new table as new_users for each statement execute function public.handle_new_user()`.execute(t.db);
    expect(await warningsOf(t.url, 'select * from backfill_ghost_users(true)')).toEqual([]);
  });

  it('refuses a null dry_run instead of guessing', async () => {
    await expect(sql`select * from backfill_ghost_users(null)`.execute(t.db)).rejects.toMatchObject({ code: '22023' });
  });
});

describe('backfillGhostUsers() (what the monitor and the admin API call)', () => {
  it('dry run, real run and the trigger warning', async () => {
    const ghost = await signUpGhost(t.db);
    await setTrigger(t.db, 'on_auth_user_created', false);
    const dry = await backfillGhostUsers(t.db, { dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      warnings: ['on_auth_user_created is disabled: new signups will keep creating ghost users'],
      users: [{ userId: ghost, email: expect.any(String), authCreatedAt: expect.any(Date), action: 'would_create' }],
    });
    expect(await audit()).toEqual([]);
    await setTrigger(t.db, 'on_auth_user_created', true);
    const real = await backfillGhostUsers(t.db, { dryRun: false, performedBy: 'admin:1234' });
    expect(real).toMatchObject({ dryRun: false, warnings: [], users: [{ userId: ghost, action: 'created' }] });
    expect((await audit())[0]).toMatchObject({ performed_by: 'admin:1234', affected_count: 1 });
    await expect(backfillGhostUsers(t.db, { dryRun: false, userIds: ['not-a-uuid'] })).rejects.toThrow();
  });
});
