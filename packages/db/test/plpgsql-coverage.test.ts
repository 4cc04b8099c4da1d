import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

/**
 * Every SQL function the migrations create, with the test file that executes it. A migration that
 * adds a function without adding it here (and a test that runs it) fails this file.
 */
const TESTED_FUNCTIONS: Record<string, string> = {
  'auth.jwt()': 'row-level-security.test.ts',
  'auth.role()': 'row-level-security.test.ts',
  'auth.uid()': 'row-level-security.test.ts',
  'public.auth_avatar_url(p_meta jsonb)': 'auth-user-sync.test.ts',
  'public.auth_display_name(p_meta jsonb)': 'auth-user-sync.test.ts',
  'public.cleanup_old_tombstones()': 'tombstones.test.ts',
  'public.create_user_profile(p_user_id uuid, p_email text, p_email_confirmed_at timestamp with time zone, p_meta jsonb, p_created_at timestamp with time zone)': 'auth-user-sync.test.ts',
  'public.ensure_user_profile(p_user_id uuid)': 'auth-user-sync.test.ts',
  'public.generate_unique_username(p_email text, p_user_id uuid)': 'auth-user-sync.test.ts',
  'public.handle_new_user()': 'auth-user-sync.test.ts',
  'public.handle_user_update()': 'auth-user-sync.test.ts',
  'public.record_deletion()': 'tombstones.test.ts',
  'public.record_user_sync_failure(p_user_id uuid, p_operation text, p_error_code text, p_error_message text, p_context jsonb)': 'auth-user-sync.test.ts',
  'public.set_updated_at()': 'auth-user-sync.test.ts',
  // Client sync's change stamps (0008): exercised by the client-sync package's tests.
  'public.set_updated_at_and_sync_xid()': '../../client-sync/test/concurrent-commit.test.ts',
  'public.username_base(p_email text, p_user_id uuid)': 'auth-user-sync.test.ts',
  'public.username_candidate(p_base text, p_attempt integer)': 'auth-user-sync.test.ts',
  // The monitor's quality checks (0007) are exercised by its own tests.
  'public.auth_trigger_status()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.backfill_ghost_users(dry_run boolean DEFAULT true, performed_by text DEFAULT NULL::text, user_ids uuid[] DEFAULT NULL::uuid[])': '../../../services/monitor/test/backfill.test.ts',
  'public.check_ghost_users(p_since timestamp with time zone DEFAULT NULL::timestamp with time zone)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.check_orphaned_profiles(p_since timestamp with time zone DEFAULT NULL::timestamp with time zone)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.check_progress_parity(p_since timestamp with time zone DEFAULT NULL::timestamp with time zone)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.cleanup_old_monitoring_logs()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.get_latest_sync_status()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.get_sync_status_history(days integer DEFAULT 30)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.get_user_sync_stats()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.user_sync_findings()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.first_uuids(uuid)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.first_uuids_step(p_ids uuid[], p_id uuid)': '../../../services/monitor/test/quality-checks.test.ts',
  'public.first_uuids_combine(p_a uuid[], p_b uuid[])': '../../../services/monitor/test/quality-checks.test.ts',
  'public.quality_check_window_start()': '../../../services/monitor/test/quality-checks.test.ts',
  'public.quality_overall_status(p_checks jsonb)': '../../../services/monitor/test/quality-checks.test.ts',
  "public.record_user_sync_metrics(p_checks jsonb DEFAULT NULL::jsonb, p_check_type text DEFAULT 'full'::text, p_started_at timestamp with time zone DEFAULT NULL::timestamp with time zone)": '../../../services/monitor/test/quality-checks.test.ts',
  'public.run_user_sync_quality_check(p_since timestamp with time zone DEFAULT NULL::timestamp with time zone)': '../../../services/monitor/test/quality-checks.test.ts',
};

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

describe('SQL function coverage', () => {
  it('lists exactly the functions the migrations create', async () => {
    // public's functions (not an extension's), and the auth functions our shim created.
    const { rows } = await sql<{ signature: string }>`
      select n.nspname || '.' || p.proname || '(' || pg_get_function_arguments(p.oid) || ')' as signature
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where (n.nspname = 'public'
              or (n.nspname = 'auth' and obj_description(p.oid, 'pg_proc') like 'achievement-sync shim%'))
         and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       order by 1`.execute(t.db);
    expect(rows.map((r) => r.signature)).toEqual(Object.keys(TESTED_FUNCTIONS).sort());
  });

  it('names each function in the test file that executes it', () => {
    for (const [signature, file] of Object.entries(TESTED_FUNCTIONS)) {
      const source = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      const name = signature.slice(signature.indexOf('.') + 1, signature.indexOf('('));
      expect(source.includes(name), `${name} in ${file}`).toBe(true);
    }
  });
});
