import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrateToLatest, MIGRATION_SCHEMA } from '@ach/db';
import { createEmptyDatabase, type EmptyDatabase } from './empty-database.ts';

/**
 * Supabase grants the API roles ALL on every new table, sequence and function in `public` (default
 * privileges), and PostgREST serves whatever they can reach with the anon key or a user's JWT. This
 * file migrates a database set up that way and audits everything the roles can reach, so a table,
 * view, sequence or function added by a later migration cannot slip through unnoticed: each must be
 * protected by RLS, by security_invoker, by a revoke, or be named in an allow-list below with why.
 */

type ApiRole = 'anon' | 'authenticated';
const API_ROLES: readonly ApiRole[] = ['anon', 'authenticated'];

/** Schemas the API roles may reach. Anything else they can USE (say, the bookkeeping schema) fails. */
const REACHABLE_SCHEMAS = ['auth', 'public'];

/**
 * Functions the API roles may execute. Every other function they can execute, including through
 * PUBLIC's default EXECUTE, fails the test.
 */
const EXECUTABLE_FUNCTIONS: Record<string, { roles: readonly ApiRole[]; why: string }> = {
  // RLS policies run as the requesting role and call these; each reads only the caller's own
  // request claims. Same grants as Supabase's own auth functions, which the shim stands in for.
  'auth.uid()': { roles: ['anon', 'authenticated'], why: 'called by RLS policies; returns the caller\'s own JWT sub' },
  'auth.role()': { roles: ['anon', 'authenticated'], why: 'Supabase-compatible; returns the caller\'s own JWT role' },
  'auth.jwt()': { roles: ['anon', 'authenticated'], why: 'Supabase-compatible; returns the caller\'s own JWT claims' },
};

/** Views readable by the API roles without security_invoker (they would bypass RLS): none. */
const DEFINER_VIEWS: Record<string, string> = {};

/** Sequences the API roles may use: none; the tables the app writes have client-generated ids. */
const USABLE_SEQUENCES: Record<string, string> = {};

/** Table privileges RLS does not govern: TRUNCATE empties a table whatever the policies say. */
const NEVER_GRANTED = ['TRUNCATE', 'TRIGGER'];

interface Reachable {
  kind: 'table' | 'view' | 'materialized view' | 'sequence' | 'function';
  name: string;
  rls: boolean;
  securityInvoker: boolean;
  /** Per role, the privileges it holds (directly, through PUBLIC or a role it inherits). */
  privileges: Record<ApiRole, string[]>;
}

/** Every relation and function in a schema the API roles can reach, except extensions' own. */
async function reachableObjects(client: pg.ClientBase): Promise<Reachable[]> {
  const { rows } = await client.query<Reachable>(`
    with api_role(name) as (values ('anon'), ('authenticated')),
    reachable_schema as (
      select n.oid, n.nspname from pg_namespace n
       where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
         and exists (select 1 from api_role r where has_schema_privilege(r.name, n.oid, 'USAGE'))
    ),
    relation as (
      select c.oid, s.nspname || '.' || c.relname as name, c.relkind, c.relrowsecurity as rls,
             exists (select 1 from unnest(c.reloptions) o where o ~* '^security_invoker=(true|on|yes|1)$') as security_invoker
        from pg_class c join reachable_schema s on s.oid = c.relnamespace
       where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S')
         and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    ),
    func as (
      select p.oid, s.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name
        from pg_proc p join reachable_schema s on s.oid = p.pronamespace
       where not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    )
    select case r.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' else 'table' end as kind,
           r.name, r.rls, r.security_invoker as "securityInvoker",
           (select jsonb_object_agg(a.name, array(
                     select p.privilege from unnest(case when r.relkind = 'S' then array['USAGE', 'SELECT', 'UPDATE']
                                                    else array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] end) as p(privilege)
                      where case when r.relkind = 'S' then has_sequence_privilege(a.name, r.oid, p.privilege)
                                 else has_table_privilege(a.name, r.oid, p.privilege)
                                      -- a column grant (platform_accounts' visible columns) counts too
                                      or (p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                                          and has_any_column_privilege(a.name, r.oid, p.privilege)) end))
              from api_role a) as privileges
      from relation r
    union all
    select 'function', f.name, false, false,
           (select jsonb_object_agg(a.name, case when has_function_privilege(a.name, f.oid, 'EXECUTE') then array['EXECUTE'] else array[]::text[] end)
              from api_role a)
      from func f
    order by 2`);
  return rows;
}

/** What the audit objects to, one line per object and role. */
function violations(objects: Reachable[]): string[] {
  const found: string[] = [];
  for (const object of objects) {
    for (const role of API_ROLES) {
      const held = object.privileges[role];
      if (held.length === 0) continue;
      const what = `${object.kind} ${object.name}: ${role} holds ${held.join(', ')}`;
      switch (object.kind) {
        case 'table':
          if (!object.rls) found.push(`${what} without row level security`);
          for (const privilege of NEVER_GRANTED) if (held.includes(privilege)) found.push(`${what}; ${privilege} is not governed by RLS`);
          break;
        case 'view':
          if (!object.securityInvoker && !(object.name in DEFINER_VIEWS)) found.push(`${what} on a view without security_invoker (runs as its owner, past RLS)`);
          break;
        case 'materialized view':
          found.push(`${what} on a materialized view (no RLS possible)`);
          break;
        case 'sequence':
          if (!(object.name in USABLE_SEQUENCES)) found.push(`${what} on a sequence`);
          break;
        case 'function':
          if (!EXECUTABLE_FUNCTIONS[object.name]?.roles.includes(role)) found.push(`${what} (not in EXECUTABLE_FUNCTIONS)`);
          break;
      }
    }
  }
  return found;
}

let database: EmptyDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createEmptyDatabase();
  // What a Supabase project looks like before the first migration: the API roles exist (roles are
  // per cluster: they may already be there), may use `public`, and default privileges hand them
  // ALL on every table, sequence and function the migrating role creates there.
  await database.query(`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
    end $$;
    grant usage on schema public to anon, authenticated, service_role;
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  `);
  const db = createDb(database.url, { max: 2 });
  try {
    await migrateToLatest(db, database.url);
  } finally {
    await db.destroy();
  }
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

describe('grants under Supabase\'s default privileges', () => {
  it('leaves nothing the API roles can reach unprotected', async () => {
    const objects = await reachableObjects(client);
    // The audit sees the schema at all: the tables, views, sequences and functions the migrations create.
    expect(objects.map((o) => `${o.kind} ${o.name}`)).toEqual(expect.arrayContaining([
      'table public.users', 'table auth.users', 'view public.profiles', 'sequence public.deleted_records_id_seq',
      'function public.set_updated_at()', 'function auth.uid()',
    ]));
    expect(violations(objects)).toEqual([]);
  });

  it('reaches only the schemas it is meant to', async () => {
    const { rows } = await client.query<{ nspname: string }>(`
      select n.nspname from pg_namespace n
       where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
         and (has_schema_privilege('anon', n.oid, 'USAGE') or has_schema_privilege('authenticated', n.oid, 'USAGE'))
       order by 1`);
    expect(rows.map((r) => r.nspname)).toEqual(REACHABLE_SCHEMAS);
  });

  it('keeps the migration bookkeeping out of public, in a schema only its owner can use', async () => {
    const { rows } = await client.query<{ name: string; owner: string }>(`
      select n.nspname || '.' || c.relname as name, pg_get_userbyid(c.relowner) as owner
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relname like 'kysely%' and c.relkind = 'r' order by 1`);
    expect(rows.map((r) => r.name)).toEqual([`${MIGRATION_SCHEMA}.kysely_migration`, `${MIGRATION_SCHEMA}.kysely_migration_lock`]);
    const acl = await client.query<{ acl: string[] | null }>('select nspacl::text[] as acl from pg_namespace where nspname = $1', [MIGRATION_SCHEMA]);
    // Only the owner's own entry (or none: the owner's implicit default).
    const owner = rows[0]!.owner;
    expect((acl.rows[0]!.acl ?? []).filter((entry) => !entry.startsWith(`${owner}=`))).toEqual([]);
    for (const role of ['anon', 'authenticated', 'service_role']) {
      const usage = await client.query<{ usage: boolean }>('select has_schema_privilege($1, $2, \'USAGE\') as usage', [role, MIGRATION_SCHEMA]);
      expect(usage.rows[0]!.usage, role).toBe(false);
    }
  });

  it('names only objects that exist in its allow-lists', async () => {
    const names = new Set((await reachableObjects(client)).map((o) => o.name));
    for (const name of [...Object.keys(EXECUTABLE_FUNCTIONS), ...Object.keys(DEFINER_VIEWS), ...Object.keys(USABLE_SEQUENCES)]) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('flags a table, view, sequence and function a later migration might add without protection', async () => {
    await client.query('begin');
    try {
      await client.query(`
        create table public.audit_canary (id bigint generated always as identity primary key, note text);
        create view public.audit_canary_view as select id from public.audit_canary;
        create function public.audit_canary_fn() returns integer language sql as 'select 1';
        create materialized view public.audit_canary_mv as select 1 as one;
      `);
      const found = violations(await reachableObjects(client));
      for (const expected of [
        'table public.audit_canary: anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER without row level security',
        'table public.audit_canary: anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; TRUNCATE is not governed by RLS',
        'view public.audit_canary_view: authenticated holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on a view without security_invoker (runs as its owner, past RLS)',
        'sequence public.audit_canary_id_seq: anon holds USAGE, SELECT, UPDATE on a sequence',
        'function public.audit_canary_fn(): anon holds EXECUTE (not in EXECUTABLE_FUNCTIONS)',
        'materialized view public.audit_canary_mv: anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER on a materialized view (no RLS possible)',
      ]) {
        expect(found).toContain(expected);
      }
      // RLS on, yet TRUNCATE still granted: flagged all the same.
      await client.query('alter table public.audit_canary enable row level security');
      const withRls = violations(await reachableObjects(client));
      expect(withRls.filter((v) => v.startsWith('table public.audit_canary:'))).toEqual([
        'table public.audit_canary: anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; TRUNCATE is not governed by RLS',
        'table public.audit_canary: anon holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; TRIGGER is not governed by RLS',
        'table public.audit_canary: authenticated holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; TRUNCATE is not governed by RLS',
        'table public.audit_canary: authenticated holds SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER; TRIGGER is not governed by RLS',
      ]);
    } finally {
      await client.query('rollback');
    }
  });
});
