import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';

/** A signup as GoTrue makes it: the auth triggers create the profile. */
export async function signUp(db: Kysely<Database>, email = `${randomUUID().slice(0, 8)}@example.com`, createdAt?: Date): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into auth.users (email, created_at) values (${email}, coalesce(${createdAt ?? null}::timestamptz, now())) returning id
  `.execute(db);
  return rows[0]!.id;
}

/** A signup while on_auth_user_created is disabled: an auth user without a profile. */
export async function signUpGhost(db: Kysely<Database>, email = `ghost-${randomUUID().slice(0, 8)}@example.com`, createdAt?: Date): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await sql`alter table auth.users disable trigger on_auth_user_created`.execute(trx);
    const id = await signUp(trx, email, createdAt);
    await sql`alter table auth.users enable trigger on_auth_user_created`.execute(trx);
    return id;
  });
}

export async function setTrigger(db: Kysely<Database>, name: 'on_auth_user_created' | 'on_auth_user_updated', enabled: boolean): Promise<void> {
  await sql`alter table auth.users ${sql.raw(enabled ? 'enable' : 'disable')} trigger ${sql.id(name)}`.execute(db);
}

/** A Steam game with `achievements` achievements, the user's progress and all of them earned. */
export async function seedProgress(db: Kysely<Database>, userId: string, gameId = '232050', achievements = 3): Promise<void> {
  await sql`insert into games (platform_id, platform_game_id, name, achievements_total) values (3, ${gameId}, 'Game', ${achievements})
            on conflict do nothing`.execute(db);
  await sql`insert into achievements (platform_id, platform_game_id, platform_achievement_id, name)
            select 3, ${gameId}, 'ACH_' || i, 'Achievement ' || i from generate_series(1, ${achievements}) i on conflict do nothing`.execute(db);
  await sql`insert into user_achievements (user_id, platform_id, platform_game_id, platform_achievement_id, earned_at)
            select ${userId}, 3, ${gameId}, 'ACH_' || i, now() from generate_series(1, ${achievements}) i`.execute(db);
  await sql`insert into user_progress (user_id, platform_id, platform_game_id, achievements_total, achievements_earned, completion_percentage)
            values (${userId}, 3, ${gameId}, ${achievements}, ${achievements}, 100)`.execute(db);
}

export async function linkAccount(db: Kysely<Database>, userId: string, platformId: number, refreshExpiresAt: Date | null = null): Promise<void> {
  await sql`insert into platform_accounts (user_id, platform_id, external_account_id, refresh_expires_at)
            values (${userId}, ${platformId}, ${randomUUID()}, ${refreshExpiresAt})`.execute(db);
}

export async function insertSyncRun(
  db: Kysely<Database>,
  run: { userId: string; platformId: number; status: string; errorCode?: string | null; finishedAt?: Date | null; updatedAt?: Date; mode?: 'incremental' | 'full' },
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into sync_logs (user_id, platform_id, mode, status, error_code, finished_at)
    values (${run.userId}, ${run.platformId}, ${run.mode ?? 'incremental'}, ${run.status}, ${run.errorCode ?? null}, ${run.finishedAt ?? null})
    returning id`.execute(db);
  const id = rows[0]!.id;
  if (run.updatedAt) await backdateSyncRun(db, id, run.updatedAt);
  return id;
}

/** set_updated_at() stamps every UPDATE with now(); back-date with the trigger off. */
export async function backdateSyncRun(db: Kysely<Database>, syncId: string, updatedAt: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`alter table sync_logs disable trigger set_updated_at`.execute(trx);
    await sql`update sync_logs set updated_at = ${updatedAt} where id = ${syncId}`.execute(trx);
    await sql`alter table sync_logs enable trigger set_updated_at`.execute(trx);
  });
}

export interface CheckRow {
  check_name: string;
  status: string;
  severity: string;
  observed_value: number | null;
  details: Record<string, unknown>;
}

export async function runChecks(db: Kysely<Database>, since?: Date): Promise<Record<string, CheckRow>> {
  const { rows } = await sql<CheckRow>`select * from run_user_sync_quality_check(${since ?? null}::timestamptz)`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.check_name, r]));
}

export async function recordMetrics(db: Kysely<Database>, checkType: 'full' | 'incremental' = 'full'): Promise<string> {
  const { rows } = await sql<{ status: string }>`select record_user_sync_metrics(p_check_type => ${checkType}) as status`.execute(db);
  return rows[0]!.status;
}

/** Names of the checks that did not pass. */
export function notPassing(checks: Record<string, CheckRow>): string[] {
  return Object.values(checks).filter((c) => c.status !== 'pass').map((c) => c.check_name).sort();
}
