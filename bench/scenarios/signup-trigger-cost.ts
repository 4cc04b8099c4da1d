/**
 * What the auth.users triggers add to a signup: the same auth.users inserts with on_auth_user_created
 * disabled (baseline) and enabled, interleaved off, on, off, on… in one fresh database; medians.
 *
 * Three shapes: ≥100k rows in statements of 5,000 (imports, backfills), one-row transactions from the
 * client (what GoTrue does, round trip included: noisy), and the same one-row transactions in a
 * server-side loop that commits after each insert (no round trip, so the trigger's share shows).
 *
 * Emails: 85% unique, 10% from 50 shared first.last local parts, 5% from 10 very common ones
 * (info, admin, …), so username clashes take the retry path; 2% phone-only signups, 80% verified,
 * half with name/avatar metadata.
 */
import pg from 'pg';
import { createBenchDatabase } from '../bench-database.ts';
import type { BenchResult, BenchScenario } from '../bench-result.ts';
import { median } from '../stats.ts';

const BATCH = 5_000;
/** off/on pairs per shape; each figure is the median of its side. */
const BATCH_ROUNDS = 3;
const SINGLE_ROUNDS = 5;
const TARGET_ADDED_US = 20;

const INSERT_SIGNUPS = `
  insert into auth.users (email, phone, email_confirmed_at, raw_user_meta_data)
  select case when g % 50 = 0 then null else local || '@' || (array['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'example.org'])[1 + g % 6] end,
         case when g % 50 = 0 then '+1555' || lpad(g::text, 8, '0') end,
         case when g % 5 <> 0 then now() end,
         case when g % 2 = 0 then jsonb_build_object('full_name', 'Player ' || g, 'avatar_url', 'https://cdn.example/a/' || g || '.png') else '{}'::jsonb end
    from (
      select g, case
                  when g % 20 = 1 then (array['info', 'admin', 'contact', 'hello', 'me', 'mail', 'gamer', 'test', 'john', 'alex'])[1 + (g / 20) % 10]
                  when g % 20 in (2, 3) then (array['john', 'alex', 'sam', 'chris', 'mike', 'anna', 'max', 'kim', 'lee', 'jo'])[1 + (g / 20) % 10]
                                              || '.' || (array['smith', 'lee', 'brown', 'garcia', 'miller'])[1 + (g / 200) % 5]
                  else (array['john', 'alex', 'sam', 'chris', 'mike', 'anna', 'max', 'kim', 'lee', 'jo'])[1 + g % 10]
                       || '.' || (array['smith', 'lee', 'brown', 'garcia', 'miller'])[1 + (g / 10) % 5] || g
                end as local
        from generate_series($1::int, $2::int) as g
    ) as s`;

async function setTrigger(client: pg.Client, enabled: boolean): Promise<void> {
  await client.query(`alter table auth.users ${enabled ? 'enable' : 'disable'} trigger on_auth_user_created`);
}

async function reset(client: pg.Client): Promise<void> {
  await client.query('truncate auth.users cascade');
  await client.query('vacuum analyze auth.users');
  await client.query('checkpoint');
}

/** µs per signup for `total` rows inserted in statements of BATCH rows, each its own transaction. */
async function batchedSignups(client: pg.Client, total: number): Promise<number> {
  let elapsed = 0;
  for (let from = 1; from <= total; from += BATCH) {
    const to = Math.min(total, from + BATCH - 1);
    const started = performance.now();
    await client.query(INSERT_SIGNUPS, [from, to]);
    elapsed += performance.now() - started;
  }
  return (elapsed * 1000) / total;
}

/**
 * The floor any design pays: the same number of public.users rows written set-based with no
 * trigger logic at all (primary key, unique username, FK to auth.users), µs per row.
 */
async function bareProfileInsert(client: pg.Client, total: number): Promise<number> {
  await reset(client);
  await setTrigger(client, false);
  await batchedSignups(client, total);
  await client.query('checkpoint');
  const started = performance.now();
  await client.query(`insert into public.users (id, email, username, created_at)
    select id, email, 'u' || substr(md5(id::text), 1, 20), created_at from auth.users`);
  return ((performance.now() - started) * 1000) / total;
}

/** µs per signup for one-row INSERT statements, each its own transaction: what GoTrue does. */
async function singleSignups(client: pg.Client, total: number): Promise<number> {
  const started = performance.now();
  for (let g = 1; g <= total; g++) await client.query(INSERT_SIGNUPS, [g, g]);
  return ((performance.now() - started) * 1000) / total;
}

/**
 * µs per signup for `total` one-row inserts in one DO block that commits after each: one statement
 * and one transaction per signup like GoTrue's, without the client round trip.
 */
async function serverSideSingleSignups(client: pg.Client, total: number): Promise<number> {
  const insert = INSERT_SIGNUPS.replace('$1::int', 'signup').replace('$2::int', 'signup');
  const started = performance.now();
  await client.query(`do $loop$ begin for signup in 1..${total} loop ${insert}; commit; end loop; end $loop$`);
  return ((performance.now() - started) * 1000) / total;
}

/** The triggered run must have created every profile, or its timing means nothing. Returns how many needed a suffix. */
async function checkProfiles(client: pg.Client, total: number): Promise<number> {
  const { rows } = await client.query<{ users: string; failures: string; suffixed: string }>(`
    select (select count(*) from public.users) as users, (select count(*) from public.user_sync_failures) as failures,
           (select count(*) from public.users where username ~ '_[0-9]{4,}$') as suffixed`);
  const check = rows[0]!;
  if (Number(check.users) !== total || Number(check.failures) !== 0) {
    throw new Error(`trigger run left ${check.users} users for ${total} signups and ${check.failures} failures`);
  }
  return Number(check.suffixed);
}

type OnOff = { off: number[]; on: number[] };
const onOff = (): OnOff => ({ off: [], on: [] });
const runs = (r: OnOff) => `on ${r.on.map((v) => v.toFixed(1)).join('/')}; off ${r.off.map((v) => v.toFixed(1)).join('/')}`;

/** Runs `measure` rounds × (off, on) on an emptied auth.users, checking the profiles after each "on" run. */
async function interleaved(client: pg.Client, rounds: number, rows: number, measure: () => Promise<number>): Promise<{ result: OnOff; suffixed: number }> {
  const result = onOff();
  let suffixed = 0;
  for (let round = 0; round < rounds; round++) {
    for (const enabled of [false, true]) {
      await reset(client);
      await setTrigger(client, enabled);
      result[enabled ? 'on' : 'off'].push(await measure());
      if (enabled) suffixed = await checkProfiles(client, rows);
    }
  }
  return { result, suffixed };
}

const scenario: BenchScenario = {
  name: 'signup-trigger-cost',
  async run(ctx) {
    const total = Math.max(BATCH, Math.round(100_000 * ctx.scale));
    const singles = Math.max(500, Math.round(3_000 * ctx.scale));
    const database = await createBenchDatabase(ctx.postgresAdminUrl);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('set client_min_messages = warning');
      const batched = await interleaved(client, BATCH_ROUNDS, total, () => batchedSignups(client, total));
      // Commit latency would swamp the difference; both sides skip the WAL flush alike.
      await client.query('set synchronous_commit = off');
      const single = await interleaved(client, SINGLE_ROUNDS, singles, () => singleSignups(client, singles));
      const serverSide = await interleaved(client, SINGLE_ROUNDS, singles, () => serverSideSingleSignups(client, singles));
      const floor = await bareProfileInsert(client, total);

      const batchOn = median(batched.result.on);
      const batchOff = median(batched.result.off);
      const added = batchOn - batchOff;
      const singleOn = median(single.result.on);
      const singleOff = median(single.result.off);
      const serverOn = median(serverSide.result.on);
      const serverOff = median(serverSide.result.off);
      const results: BenchResult[] = [
        {
          metric: `auth.users insert with triggers, ${total} signups in statements of ${BATCH}`,
          value: batchOn,
          unit: 'µs/signup',
          baseline: { label: 'triggers disabled', value: batchOff },
          notes: `median of ${BATCH_ROUNDS} interleaved off/on rounds; ${batched.suffixed} of ${total} usernames needed a suffix`,
        },
        {
          metric: 'added by on_auth_user_created per signup (batched)',
          value: added,
          unit: 'µs',
          target: `≤ ${TARGET_ADDED_US} µs`,
          met: added <= TARGET_ADDED_US,
          notes: `runs: ${runs(batched.result)}`,
        },
        {
          metric: 'floor: a bare set-based insert of the same profiles into public.users (no trigger logic)',
          value: floor,
          unit: 'µs/row',
          notes: 'PK + unique username + FK to auth.users: what any design that creates the row pays',
        },
        {
          metric: `auth.users insert with triggers, ${singles} one-row transactions from the client`,
          value: singleOn,
          unit: 'µs/signup',
          baseline: { label: 'triggers disabled', value: singleOff },
          notes: `added ${(singleOn - singleOff).toFixed(1)} µs incl. round trip; median of ${SINGLE_ROUNDS} interleaved rounds (${runs(single.result)}); synchronous_commit off on both sides`,
        },
        {
          metric: `auth.users insert with triggers, ${singles} one-row transactions in a server-side loop`,
          value: serverOn,
          unit: 'µs/signup',
          baseline: { label: 'triggers disabled', value: serverOff },
          notes: `added ${(serverOn - serverOff).toFixed(1)} µs; median of ${SINGLE_ROUNDS} interleaved rounds (${runs(serverSide.result)}); synchronous_commit off on both sides`,
        },
      ];
      return results;
    } finally {
      await client.end();
      await database.drop();
    }
  },
};

export default scenario;
