import { sql, type Kysely } from 'kysely';

/**
 * What 0001–0004 left reachable by the API roles under Supabase's default privileges (ALL on every
 * new table, sequence and function in `public` for anon/authenticated), found by
 * packages/db/test/supabase-grants.test.ts:
 *
 * - the identity sequences behind the operational tables: USAGE/UPDATE would let the anon key
 *   `setval` one to its maximum, and every later insert (tombstones, sync failures, audit) fails.
 *   Only the services write those tables; service_role keeps its grant from 0003.
 * - `set_updated_at()`, executable by PUBLIC as every function is by default. It is a trigger
 *   function (a direct call errors) and triggers fire without an EXECUTE check, so nobody needs it.
 *
 * Named one by one rather than "all … in schema public": on Supabase, `public` also holds the
 * project's own objects, whose grants are not ours to change.
 */
const SEQUENCE_COLUMNS = [
  ['deleted_records', 'id'],
  ['user_sync_monitoring_log', 'id'],
  ['user_sync_failures', 'id'],
  ['cleanup_audit_log', 'id'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of SEQUENCE_COLUMNS) {
    // The identity sequence's name as Postgres chose it (quoted where needed): a name already taken
    // when the table was created would have given it a suffix.
    const { rows } = await sql<{ sequence: string }>`select pg_get_serial_sequence(${`public.${table}`}, ${column}) as sequence`.execute(db);
    await sql`revoke all on sequence ${sql.raw(rows[0]!.sequence)} from public, anon, authenticated`.execute(db);
  }
  await sql`revoke execute on function public.set_updated_at() from public, anon, authenticated`.execute(db);
}

/**
 * Nothing to undo on purpose: putting the grants back would reopen what `up` closed, and 0001's
 * `down` drops these sequences and the function anyway. Same stance as 0003's `down`.
 */
export async function down(_db: Kysely<unknown>): Promise<void> {}
