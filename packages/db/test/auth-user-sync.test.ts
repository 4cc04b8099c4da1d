import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '@ach/db';
import { createTestDatabase, type TestDatabase } from '@ach/testing';

const USERNAME = /^[a-z0-9_]{3,30}$/;

let t: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  t = await createTestDatabase();
  // No connection timeout: 200 concurrent signups queue for these 25 connections. createPool also
  // ignores the errors of connections the database drop terminates.
  pool = createPool(t.url, { max: 25, connectionTimeoutMillis: 0 });
});
afterAll(async () => {
  await pool?.end();
  await t?.drop();
});

interface AuthUserInput {
  email?: string | null;
  phone?: string | null;
  emailConfirmedAt?: string | null;
  meta?: Record<string, unknown>;
  createdAt?: string;
}

async function signUp(input: AuthUserInput, client: pg.Pool | pg.PoolClient = pool): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into auth.users (email, phone, email_confirmed_at, raw_user_meta_data, created_at)
     values ($1, $2, $3, $4, coalesce($5::timestamptz, now())) returning id`,
    [input.email ?? null, input.phone ?? null, input.emailConfirmedAt ?? null, JSON.stringify(input.meta ?? {}), input.createdAt ?? null],
  );
  return rows[0]!.id;
}

async function profile(id: string) {
  const { rows } = await pool.query<{ email: string | null; email_verified: boolean; username: string; display_name: string | null; avatar_url: string | null; created_at: Date }>(
    'select email, email_verified, username, display_name, avatar_url, created_at from public.users where id = $1', [id]);
  return rows;
}

async function failures(userId: string) {
  const { rows } = await pool.query<{ operation: string; error_code: string; error_message: string; context: Record<string, unknown> }>(
    'select operation, error_code, error_message, context from public.user_sync_failures where user_id = $1 order by id', [userId]);
  return rows;
}

describe('handle_new_user (on_auth_user_created)', () => {
  it('creates exactly one users row with the fields copied from auth.users', async () => {
    const createdAt = '2024-03-01T10:00:00.123456Z';
    const id = await signUp({
      email: 'Ada.Lovelace+games@example.com',
      emailConfirmedAt: '2024-03-01T10:05:00Z',
      meta: { full_name: 'Ada Lovelace', name: 'ada', avatar_url: 'https://cdn.example/ada.png', picture: 'https://other/ada.png' },
      createdAt,
    });
    const rows = await profile(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      email: 'Ada.Lovelace+games@example.com',
      email_verified: true,
      username: 'ada_lovelace_games',
      display_name: 'Ada Lovelace',
      avatar_url: 'https://cdn.example/ada.png',
    });
    const auth = await pool.query<{ created_at: Date }>('select created_at from auth.users where id = $1', [id]);
    expect(rows[0]!.created_at.getTime()).toBe(auth.rows[0]!.created_at.getTime());
  });

  it('falls back to name and picture, and leaves unverified e-mails unverified', async () => {
    const id = await signUp({ email: 'grace@example.com', meta: { name: 'Grace H', picture: 'https://cdn.example/g.png' } });
    expect(await profile(id)).toMatchObject([{ email_verified: false, display_name: 'Grace H', avatar_url: 'https://cdn.example/g.png', username: 'grace' }]);
  });

  it('normalises usernames to [a-z0-9_] with 3 to 30 characters', async () => {
    const cases: [string | null, RegExp][] = [
      ['Some.Body-Else@example.com', /^some_body_else$/],
      ['x@example.com', /^user_x$/],
      ['...@example.com', /^user_[0-9a-f]{8}$/],
      ['abcdefghijklmnopqrstuvwxyz0123456789@example.com', /^abcdefghijklmnopqrstuvwxyz0123$/],
      ['jöhn@example.com', /^j_hn$/],
    ];
    for (const [email, expected] of cases) {
      const id = await signUp({ email });
      const rows = await profile(id);
      expect(rows[0]!.username, String(email)).toMatch(expected);
      expect(rows[0]!.username).toMatch(USERNAME);
    }
  });

  it('gives phone-only users a username from their id', async () => {
    const id = await signUp({ email: null, phone: '+15550100' });
    const rows = await profile(id);
    expect(rows[0]!.username).toBe(`user_${id.replace(/-/g, '').slice(0, 8)}`);
  });

  it('adds a numeric suffix on a clash and stays within 30 characters', async () => {
    const long = 'averyveryverylonglocalpartthatgoeson';
    const first = await signUp({ email: `${long}@a.example` });
    const second = await signUp({ email: `${long}@b.example` });
    const [a] = await profile(first);
    const [b] = await profile(second);
    expect(a!.username).toBe(long.slice(0, 30));
    expect(b!.username).toMatch(/^averyveryverylonglocalpar_\d{4}$/);
    expect(b!.username.length).toBeLessThanOrEqual(30);
  });

  it('gives distinct usernames to clashing rows inserted in one statement', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `insert into auth.users (email) select 'batchmate@d' || g || '.example' from generate_series(1, 50) g returning id`);
    const names = await pool.query<{ username: string }>('select username from public.users where id = any($1::uuid[])', [rows.map((r) => r.id)]);
    expect(names.rows).toHaveLength(50);
    expect(new Set(names.rows.map((r) => r.username)).size).toBe(50);
    expect(names.rows.filter((r) => r.username === 'batchmate')).toHaveLength(1);
  });

  it('gives 1,000 rows of one statement with many shared local parts distinct usernames', async () => {
    // A base an earlier signup holds sends its row to the second, suffixed round.
    const existing = await signUp({ email: 'shared3@old.example' });
    const { rows } = await pool.query<{ id: string }>(
      `insert into auth.users (email, raw_user_meta_data)
       select case when g % 4 = 0 then 'unique' || g || '@big.example' else 'shared' || (g % 7) || '@d' || g || '.example' end,
              jsonb_build_object('full_name', 'Batch ' || g)
         from generate_series(1, 1000) g returning id`);
    const ids = rows.map((r) => r.id);
    const { rows: users } = await pool.query<{ username: string }>(
      'select username from public.users where id = any($1::uuid[])', [ids]);
    expect(users).toHaveLength(1000);
    expect(new Set(users.map((u) => u.username)).size).toBe(1000);
    for (const u of users) expect(u.username).toMatch(USERNAME);
    // Each shared base is used once unsuffixed (shared3 was already taken), the rest get a suffix.
    expect(users.filter((u) => /^shared\d$/.test(u.username)).map((u) => u.username).sort()).toEqual(['shared0', 'shared1', 'shared2', 'shared4', 'shared5', 'shared6']);
    expect(users.filter((u) => u.username.startsWith('unique'))).toHaveLength(250);
    expect(await profile(existing)).toMatchObject([{ username: 'shared3' }]);
    const counts = await pool.query<{ auth: number; users: number; copied: number; failed: number }>(`
      select (select count(*)::int from auth.users where id = any($1::uuid[])) as auth,
             (select count(*)::int from public.users where id = any($1::uuid[])) as users,
             (select count(*)::int from public.users p join auth.users a on a.id = p.id
               where p.id = any($1::uuid[]) and p.email = a.email and p.display_name = a.raw_user_meta_data ->> 'full_name'
                 and not p.email_verified and p.created_at = a.created_at) as copied,
             (select count(*)::int from public.user_sync_failures where user_id = any($1::uuid[])) as failed`, [ids]);
    expect(counts.rows[0]).toEqual({ auth: 1000, users: 1000, copied: 1000, failed: 0 });
  });

  it('retries row by row when the set-based insert fails, without recording failures for rows that then succeed', async () => {
    // Rejects any statement that inserts more than one users row: only the set-based insert.
    await pool.query(`
      create function public.test_reject_multi_row() returns trigger language plpgsql as $$
      begin
        if (select count(*) from inserted_rows) > 1 then raise exception 'multi-row insert rejected by test'; end if;
        return null;
      end $$;
      create trigger test_reject_multi_row after insert on public.users referencing new table as inserted_rows
        for each statement execute function public.test_reject_multi_row();`);
    try {
      const { rows } = await pool.query<{ id: string }>(
        `insert into auth.users (email) select 'rowwise' || (g % 2) || '@r' || g || '.example' from generate_series(1, 6) g returning id`);
      const ids = rows.map((r) => r.id);
      const names = await pool.query<{ username: string }>('select username from public.users where id = any($1::uuid[])', [ids]);
      expect(names.rows).toHaveLength(6);
      expect(new Set(names.rows.map((r) => r.username)).size).toBe(6);
      const failed = await pool.query('select 1 from public.user_sync_failures where user_id = any($1::uuid[])', [ids]);
      expect(failed.rowCount).toBe(0);
    } finally {
      await pool.query('drop trigger test_reject_multi_row on public.users; drop function public.test_reject_multi_row();');
    }
  });

  it('gives 200 concurrent signups sharing one local part 200 distinct valid usernames', async () => {
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => signUp({ email: `crowd@host${i}.example` })));
    expect(new Set(ids).size).toBe(200);
    const { rows } = await pool.query<{ username: string }>('select username from public.users where id = any($1::uuid[])', [ids]);
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.username)).size).toBe(200);
    for (const r of rows) expect(r.username).toMatch(/^crowd(_\d+)?$/);
    const failed = await pool.query('select 1 from public.user_sync_failures where user_id = any($1::uuid[])', [ids]);
    expect(failed.rowCount).toBe(0);
  });

  it('is harmless when it runs twice for the same rows', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`create trigger on_auth_user_created_again after insert on auth.users
        referencing new table as new_users for each statement execute function public.handle_new_user()`);
      const id = await signUp({ email: 'twice@example.com' }, client);
      const rows = await client.query('select username from public.users where id = $1', [id]);
      expect(rows.rows).toEqual([{ username: 'twice' }]);
      const failed = await client.query('select 1 from public.user_sync_failures where user_id = $1', [id]);
      expect(failed.rowCount).toBe(0);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('never aborts the signup: a failing insert is recorded in user_sync_failures (record_user_sync_failure)', async () => {
    await pool.query(`
      create function public.test_reject_user() returns trigger language plpgsql as $$
      begin
        if new.email like 'reject-%' then raise exception 'rejected by test' using errcode = 'check_violation'; end if;
        return new;
      end $$;
      create trigger test_reject_user before insert or update on public.users for each row execute function public.test_reject_user();`);
    try {
      const id = await signUp({ email: 'reject-me@example.com' });
      const auth = await pool.query('select 1 from auth.users where id = $1', [id]);
      expect(auth.rowCount).toBe(1);
      expect(await profile(id)).toEqual([]);
      expect(await failures(id)).toMatchObject([
        { operation: 'insert', error_code: '23514', error_message: 'rejected by test', context: { email: 'reject-me@example.com' } },
      ]);

      // Other rows of the same statement still get their profile.
      const batch = await pool.query<{ id: string; email: string }>(
        `insert into auth.users (email) values ('reject-two@example.com'), ('accepted@example.com') returning id, email`);
      const accepted = batch.rows.find((r) => r.email === 'accepted@example.com')!;
      const rejected = batch.rows.find((r) => r.email === 'reject-two@example.com')!;
      expect(await profile(accepted.id)).toMatchObject([{ username: 'accepted' }]);
      expect(await profile(rejected.id)).toEqual([]);
      expect(await failures(rejected.id)).toMatchObject([{ operation: 'insert', error_code: '23514' }]);

      // The update trigger records its own failures the same way.
      const okId = await signUp({ email: 'fine@example.com' });
      await pool.query(`update auth.users set email = 'reject-later@example.com' where id = $1`, [okId]);
      expect(await profile(okId)).toMatchObject([{ email: 'fine@example.com' }]);
      expect(await failures(okId)).toMatchObject([{ operation: 'update', error_code: '23514', error_message: 'rejected by test' }]);
    } finally {
      await pool.query('drop trigger test_reject_user on public.users; drop function public.test_reject_user();');
    }
  });

  it('never aborts the signup even when public.users and the failure log are both unusable', async () => {
    // record_user_sync_failure then only raises a warning.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('alter table public.users rename to users_moved');
      await client.query('alter table public.user_sync_failures rename to user_sync_failures_moved');
      const id = await signUp({ email: 'nowhere@example.com' }, client);
      const auth = await client.query('select 1 from auth.users where id = $1', [id]);
      expect(auth.rowCount).toBe(1);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

describe('handle_user_update (on_auth_user_updated)', () => {
  it('propagates e-mail verification, e-mail change, name and avatar (set_updated_at moves updated_at)', async () => {
    const id = await signUp({ email: 'mover@example.com', meta: { name: 'Mover' } });
    const before = await pool.query<{ updated_at: Date }>('select updated_at from public.users where id = $1', [id]);
    await pool.query('update auth.users set email_confirmed_at = now() where id = $1', [id]);
    expect(await profile(id)).toMatchObject([{ email_verified: true, email: 'mover@example.com' }]);
    const after = await pool.query<{ updated_at: Date }>('select updated_at from public.users where id = $1', [id]);
    expect(after.rows[0]!.updated_at.getTime()).toBeGreaterThan(before.rows[0]!.updated_at.getTime());
    await pool.query(`update auth.users set email = 'moved@example.com', raw_user_meta_data = '{"full_name":"Moved Person","avatar_url":"https://a/b.png"}' where id = $1`, [id]);
    expect(await profile(id)).toMatchObject([{ email: 'moved@example.com', display_name: 'Moved Person', avatar_url: 'https://a/b.png', username: 'mover' }]);
  });

  it('does not overwrite app-side edits when auth fields did not change', async () => {
    const id = await signUp({ email: 'keeper@example.com', meta: { full_name: 'From Auth' } });
    await pool.query(`update public.users set display_name = 'Edited In App' where id = $1`, [id]);
    const before = await pool.query<{ updated_at: Date }>('select updated_at from public.users where id = $1', [id]);
    await pool.query('update auth.users set updated_at = now() where id = $1', [id]);
    const after = await pool.query<{ display_name: string; updated_at: Date }>('select display_name, updated_at from public.users where id = $1', [id]);
    expect(after.rows[0]!.display_name).toBe('Edited In App');
    expect(after.rows[0]!.updated_at.getTime()).toBe(before.rows[0]!.updated_at.getTime());
  });

  it('recreates a missing users row on any update', async () => {
    const id = await signUp({ email: 'ghost@example.com', emailConfirmedAt: '2024-01-01T00:00:00Z', meta: { name: 'Ghost' } });
    await pool.query('delete from public.users where id = $1', [id]);
    await pool.query('update auth.users set updated_at = now() where id = $1', [id]);
    expect(await profile(id)).toMatchObject([{ username: 'ghost', email_verified: true, display_name: 'Ghost' }]);
    expect(await failures(id)).toEqual([]);
  });
});

describe('mapping helpers', () => {
  it('username_base, username_candidate, auth_display_name and auth_avatar_url map auth data as documented', async () => {
    const { rows } = await pool.query(`
      select public.username_base('Mary-Jane.Watson@example.com', gen_random_uuid()) as base,
             public.username_base('', 'abcdef12-0000-4000-8000-000000000000') as empty,
             public.username_candidate('mary_jane_watson', 0) as attempt0,
             public.username_candidate('abcdefghijklmnopqrstuvwxyz0123', 1) as attempt1,
             public.username_candidate('abcdefghijklmnopqrstuvwxyz0123', 5) as attempt5,
             public.username_candidate('abcdefghijklmnopqrstuvwxyz0123', 9) as attempt9,
             public.auth_display_name('{"full_name":"  ","name":"Nick"}') as name_fallback,
             public.auth_display_name('{}') as no_name,
             public.auth_avatar_url('{"avatar_url":"","picture":"https://p/x.png"}') as avatar_fallback`);
    expect(rows[0]).toMatchObject({ base: 'mary_jane_watson', empty: 'user_abcdef12', attempt0: 'mary_jane_watson', name_fallback: 'Nick', no_name: null, avatar_fallback: 'https://p/x.png' });
    expect(rows[0].attempt1).toMatch(/^abcdefghijklmnopqrstuvwxy_\d{4}$/);
    expect(rows[0].attempt5).toMatch(/^abcdefghijklmnopqrstuvw_\d{6}$/);
    expect(rows[0].attempt9).toMatch(/^abcdefghijklmnopqrst_\d{9}$/);
  });
});

describe('ensure_user_profile and generate_unique_username', () => {
  it('creates a missing profile once through create_user_profile and is a no-op afterwards', async () => {
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('alter table auth.users disable trigger on_auth_user_created');
      id = await signUp({ email: 'fallback@example.com', meta: { full_name: 'Fall Back' } }, client);
    } finally {
      await client.query('alter table auth.users enable trigger on_auth_user_created');
      client.release();
    }
    expect(await profile(id)).toEqual([]);
    const first = await pool.query<{ created: boolean }>('select public.ensure_user_profile($1) as created', [id]);
    const second = await pool.query<{ created: boolean }>('select public.ensure_user_profile($1) as created', [id]);
    expect([first.rows[0]!.created, second.rows[0]!.created]).toEqual([true, false]);
    expect(await profile(id)).toMatchObject([{ username: 'fallback', display_name: 'Fall Back', email: 'fallback@example.com' }]);
  });

  it('raises no_data_found for an unknown auth user', async () => {
    await expect(pool.query(`select public.ensure_user_profile('00000000-0000-4000-8000-00000000dead')`)).rejects.toMatchObject({ code: 'P0002' });
  });

  it('suggests the base name when free and a suffixed one when taken', async () => {
    await signUp({ email: 'taken@example.com' });
    const { rows } = await pool.query<{ free: string; taken: string; empty: string }>(`
      select public.generate_unique_username('Free.Name@x.example', gen_random_uuid()) as free,
             public.generate_unique_username('taken@x.example', gen_random_uuid()) as taken,
             public.generate_unique_username(null, '12345678-0000-4000-8000-000000000000') as empty`);
    expect(rows[0]).toMatchObject({ free: 'free_name', empty: 'user_12345678' });
    expect(rows[0]!.taken).toMatch(/^taken_\d{4}$/);
  });

  it('is not executable by anon or authenticated', async () => {
    const { rows } = await pool.query<{ fn: string; anon: boolean; authenticated: boolean; service_role: boolean }>(`
      select f as fn, has_function_privilege('anon', f, 'execute') as anon,
             has_function_privilege('authenticated', f, 'execute') as authenticated,
             has_function_privilege('service_role', f, 'execute') as service_role
        from unnest(array['public.handle_new_user()', 'public.handle_user_update()', 'public.ensure_user_profile(uuid)',
                          'public.generate_unique_username(text, uuid)']) as f`);
    for (const row of rows) expect(row, row.fn).toMatchObject({ anon: false, authenticated: false });
    expect(rows.filter((r) => r.service_role).map((r) => r.fn)).toEqual(['public.ensure_user_profile(uuid)', 'public.generate_unique_username(text, uuid)']);
  });
});
