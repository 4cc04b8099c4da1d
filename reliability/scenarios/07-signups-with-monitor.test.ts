import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { builtinPlatforms } from '@ach/platform-registry';
import { freePort } from '@ach/testing';
import { startSystem, waitFor, type RunningSystem } from '../support/system-under-test.ts';

/**
 * "10,000 signups in parallel with the monitor running: zero ghost users, zero failed signups."
 *
 * Signups arrive the way Supabase's auth server makes them: one auth.users insert per transaction,
 * many connections at once; the on_auth_user_created trigger makes the public.users row inside that
 * transaction. Meanwhile the real monitor process runs its quality check every half second (and the
 * full check every 3 s), so several of its runs see signups in flight. Updates and deletes of
 * already signed-up users are interleaved to check that public.users follows auth.users.
 */
const SIGNUPS = 10_000;
/** Parallel connections, each signing up one user per transaction, like GoTrue's pool. */
const CONNECTIONS = 32;
const MONITOR_ENV = { MONITOR_INCREMENTAL_EVERY_MS: '500', MONITOR_CRON: '*/3 * * * * *' };

let system: RunningSystem;
let monitorPort: number;
beforeAll(async () => {
  monitorPort = await freePort();
  system = await startSystem({
    label: 'signups-with-monitor',
    // Signups touch no queue: no workers, so the 2 cores go to Postgres and the monitor.
    workers: Object.fromEntries(builtinPlatforms.map(({ slug }) => [slug, 0])),
    envFor: { monitor: { ...MONITOR_ENV, MONITOR_METRICS_PORT: String(monitorPort) } },
  });
});
afterAll(async () => {
  await system?.stop();
});

/** What the test made auth.users say about each user, to compare public.users with at the end. */
interface ExpectedUser {
  email: string | null;
  displayName: string | null;
  deleted: boolean;
}

/**
 * Usernames clash on purpose (400 e-mail local parts for 10,000 users, some phone-only signups without
 * an e-mail): the trigger's suffix retry runs under concurrency, not only its fast path.
 */
function signupOf(i: number): { email: string | null; meta: Record<string, string> } {
  const email = i % 50 === 7 ? null : `gamer.${i % 400}@example${i % 7}.test`;
  const meta: Record<string, string> = i % 3 === 0 ? { full_name: `Gamer ${i}` } : {};
  return { email, meta };
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

interface MonitorRun {
  id: number;
  run_at: Date;
  check_type: string;
  status: string;
  ghost_users: number;
  total_auth_users: number;
  total_public_users: number;
  checks: Record<string, { status: string; severity: string; observed_value: number | null; details: Record<string, unknown> }>;
}

const monitorRuns = async () =>
  (await sql<MonitorRun>`
    select id, run_at, check_type, status, ghost_users, total_auth_users, total_public_users, checks
      from public.user_sync_monitoring_log order by run_at, id`.execute(system.db)).rows;

describe('10,000 signups with the monitor running', () => {
  it('commits every signup, leaves no ghost user, and the monitor never reports one', async () => {
    const pool = new pg.Pool({ connectionString: system.databaseUrl, max: CONNECTIONS, application_name: 'reliability-gotrue' });
    const expected = new Map<string, ExpectedUser>();
    const failures: string[] = [];
    let next = 0;

    // The monitor has recorded its first run before the flight, so the flight meets incremental and full runs.
    await waitFor('the monitor\'s first run', async () => (await monitorRuns()).length > 0, 30_000, 200);
    const flightStart = new Date();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = next++; i < SIGNUPS; i = next++) {
          const { email, meta } = signupOf(i);
          let id: string;
          try {
            id = await inTransaction(pool, async (client) => {
              const { rows } = await client.query<{ id: string }>(
                'insert into auth.users (email, email_confirmed_at, raw_user_meta_data) values ($1, now(), $2) returning id',
                [email, meta],
              );
              return rows[0]!.id;
            });
          } catch (error) {
            failures.push(`signup #${i}: ${(error as Error).message}`);
            continue;
          }
          const user: ExpectedUser = { email, displayName: meta.full_name ?? null, deleted: false };
          expected.set(id, user);
          try {
            // Interleaved with later signups: a changed e-mail, a changed name, an account deleted.
            if (i % 10 === 1) {
              user.email = `changed.${i}@example.test`;
              await inTransaction(pool, (c) => c.query('update auth.users set email = $2, updated_at = now() where id = $1', [id, user.email]));
            }
            if (i % 25 === 2) {
              user.displayName = `Renamed ${i}`;
              await inTransaction(pool, (c) =>
                c.query(`update auth.users set raw_user_meta_data = raw_user_meta_data || jsonb_build_object('full_name', $2::text) where id = $1`, [id, user.displayName]),
              );
            }
            if (i % 97 === 3) {
              user.deleted = true;
              await inTransaction(pool, (c) => c.query('delete from auth.users where id = $1', [id]));
            }
          } catch (error) {
            failures.push(`change after signup #${i}: ${(error as Error).message}`);
          }
        }
      }),
    );
    const flightEnd = new Date();
    await pool.end();
    console.log(`${SIGNUPS} signups over ${CONNECTIONS} connections in ${flightEnd.getTime() - flightStart.getTime()} ms`);

    // Zero failed signups.
    expect(failures).toEqual([]);
    expect(expected.size).toBe(SIGNUPS);

    // Zero ghost users, and public.users mirrors auth.users row for row.
    const live = [...expected].filter(([, u]) => !u.deleted);
    const ghosts = await sql<{ id: string }>`
      select a.id from auth.users a where not exists (select 1 from public.users u where u.id = a.id)`.execute(system.db);
    expect(ghosts.rows).toEqual([]);
    const profiles = await sql<{ id: string; email: string | null; display_name: string | null; username: string }>`
      select id, email, display_name, username from public.users`.execute(system.db);
    expect(profiles.rows.length).toBe(live.length);
    const mismatched = profiles.rows.filter((p) => {
      const want = expected.get(p.id);
      return !want || want.deleted || want.email !== p.email || want.displayName !== p.display_name;
    });
    expect(mismatched.slice(0, 5)).toEqual([]);
    expect(new Set(profiles.rows.map((p) => p.username)).size).toBe(live.length);
    const syncFailures = await sql`select operation, error_code, error_message from public.user_sync_failures`.execute(system.db);
    expect(syncFailures.rows).toEqual([]);

    // A full run that started after the flight counts what the flight left.
    let settled: MonitorRun | undefined;
    await waitFor('a full monitor run after the flight', async () => {
      settled = (await monitorRuns()).find((r) => r.check_type === 'full' && r.run_at > flightEnd);
      return settled !== undefined;
    }, 30_000, 250);
    expect({ ghosts: settled!.ghost_users, auth: settled!.total_auth_users, public: settled!.total_public_users }).toEqual({
      ghosts: 0, auth: live.length, public: live.length,
    });

    // The monitor ran while signups were in flight and never took an in-flight signup for a ghost.
    const runs = await monitorRuns();
    const midFlight = runs.filter((r) => r.run_at >= flightStart && r.run_at <= flightEnd);
    expect(midFlight.length, 'monitor runs that started during the flight').toBeGreaterThan(0);
    console.log(`${midFlight.length} of ${runs.length} monitor runs started during the flight`);
    const reported = runs
      .map((r) => ({
        run: `${r.check_type} #${r.id} at ${r.run_at.toISOString()}`,
        ghosts: r.ghost_users,
        // A run that found ghosts and repaired them records what is left (0), with `repaired` beside it.
        repaired: Number(r.checks.ghost_users?.details.repaired ?? 0),
        // Every check that did not pass, other than the informational ones.
        notPassing: Object.entries(r.checks).filter(([, c]) => c.status !== 'pass' && c.severity !== 'info').map(([name]) => name),
      }))
      .filter((r) => r.ghosts !== 0 || r.repaired !== 0 || r.notPassing.length > 0);
    expect(reported).toEqual([]);
    expect(runs.every((r) => r.status === 'healthy')).toBe(true);

    // Nothing repaired behind the scenes (the auto-backfill would hide ghosts from the final count), nothing alerted.
    const backfills = await sql`select affected_count, details from public.cleanup_audit_log where action = 'backfill_ghost_users'`.execute(system.db);
    expect(backfills.rows).toEqual([]);
    const alerts = await sql`select kind, status, summary from public.monitor_alert_log`.execute(system.db);
    expect(alerts.rows).toEqual([]);
    const monitorLines = system.services.filter((s) => s.kind === 'monitor').flatMap((s) => s.lines);
    expect(monitorLines.filter((l) => /ghost users repaired|quality check job failed/.test(l))).toEqual([]);

    // What Prometheus would scrape agrees.
    const metrics = await fetch(`http://127.0.0.1:${monitorPort}/metrics`, { headers: { authorization: `Bearer ${system.secrets.metricsToken}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^monitor_quality_check_value\{check="ghost_users"\} 0$/m);
    expect(text).toMatch(/^monitor_ghost_users_repaired_total 0$/m);
    expect(text).toMatch(/^monitor_quality_status 0$/m);
  });
});
