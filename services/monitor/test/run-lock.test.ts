import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createQualityRunLock, QUALITY_RUN_LOCK_KEY, type QualityRunLock } from '../src/quality/run-lock.ts';

let t: TestDatabase;
let lock: QualityRunLock | undefined;
let other: pg.Client;

beforeEach(async () => {
  t = await createTestDatabase();
  other = new pg.Client({ connectionString: t.url });
  await other.connect();
});
afterEach(async () => {
  await lock?.close();
  lock = undefined;
  await other.end();
  await t.drop();
});

/** The backend holding the quality-run lock, if any (another session's view). */
async function holderPid(): Promise<number | null> {
  const { rows } = await other.query<{ pid: number }>(
    `select pid from pg_locks where locktype = 'advisory' and granted and objid = $1 and database = (select oid from pg_database where datname = current_database())`,
    [QUALITY_RUN_LOCK_KEY],
  );
  return rows[0]?.pid ?? null;
}

async function tryLockElsewhere(): Promise<boolean> {
  const { rows } = await other.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [QUALITY_RUN_LOCK_KEY]);
  if (rows[0]!.locked) await other.query('select pg_advisory_unlock($1)', [QUALITY_RUN_LOCK_KEY]);
  return rows[0]!.locked;
}

describe('createQualityRunLock', () => {
  it('keeps one connection across runs and releases the lock after each', async () => {
    lock = createQualityRunLock(t.url);
    const first = await lock.withLock({ waitMs: 0 }, holderPid);
    expect(first.acquired).toBe(true);
    const firstPid = first.acquired ? first.value : null;
    expect(firstPid).toEqual(expect.any(Number));
    expect(await holderPid()).toBeNull();
    expect(await tryLockElsewhere()).toBe(true);
    const second = await lock.withLock({ waitMs: 0 }, holderPid);
    expect(second).toEqual({ acquired: true, value: firstPid });
  });

  it('skips while another session holds the lock, and waits for it when asked to', async () => {
    lock = createQualityRunLock(t.url);
    await other.query('select pg_advisory_lock($1)', [QUALITY_RUN_LOCK_KEY]);
    expect(await lock.withLock({ waitMs: 0 }, async () => 'ran')).toEqual({ acquired: false });
    const waiting = lock.withLock({ waitMs: 30_000, pollMs: 50 }, async () => 'ran');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.query('select pg_advisory_unlock($1)', [QUALITY_RUN_LOCK_KEY]);
    expect(await waiting).toEqual({ acquired: true, value: 'ran' });
  });

  it('runs one at a time within the process too (a session lock is re-entrant, so the server alone would not)', async () => {
    lock = createQualityRunLock(t.url);
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => { finish = resolve; });
    const running = lock.withLock({ waitMs: 0 }, async () => { await gate; return 'first'; });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lock.withLock({ waitMs: 0 }, async () => 'second')).toEqual({ acquired: false });
    const waiting = lock.withLock({ waitMs: 30_000, pollMs: 20 }, async () => 'third');
    finish();
    expect(await running).toEqual({ acquired: true, value: 'first' });
    expect(await waiting).toEqual({ acquired: true, value: 'third' });
  });

  it('connects afresh when its connection was lost (the lock went with it)', async () => {
    lock = createQualityRunLock(t.url);
    const first = await lock.withLock({ waitMs: 0 }, holderPid);
    const firstPid = first.acquired ? first.value : null;
    await other.query('select pg_terminate_backend($1)', [firstPid]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    let next = await lock.withLock({ waitMs: 0 }, holderPid).catch(() => null);
    // The loss may only surface on the first query after it: that run fails, the next reconnects.
    if (next === null) next = await lock.withLock({ waitMs: 0 }, holderPid);
    expect(next.acquired).toBe(true);
    expect(next.acquired && next.value).not.toBe(firstPid);
  });
});
