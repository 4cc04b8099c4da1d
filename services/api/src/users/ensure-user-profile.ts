import { sql, type Kysely } from 'kysely';
import type { Database } from '@ach/db';

export interface UserProfileRow {
  id: string;
  email: string | null;
  email_verified: boolean;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  created_at: Date;
  updated_at: Date;
}

export type EnsureOutcome = { kind: 'missing_auth_user' } | { kind: 'ok'; created: boolean; user: UserProfileRow };

/**
 * Makes sure `public.users` has the row for an `auth.users` id — the self-healing fallback to the
 * signup trigger. Uses the database's own `public.ensure_user_profile(uuid)` (same field mapping
 * as the trigger) when the migration that adds it is applied; otherwise an equivalent insert.
 *
 * Never invents an identity: without an `auth.users` row the answer is `missing_auth_user`.
 * Creating auth users from token claims would let anyone holding a signing key mint accounts in
 * the auth schema, which on Supabase belongs to GoTrue.
 */
export function createUserProfileEnsurer(db: Kysely<Database>) {
  let hasDbFunctions: Promise<{ ensure: boolean; username: boolean }> | undefined;
  const detect = () =>
    (hasDbFunctions ??= sql<{ ensure: boolean; username: boolean }>`
      select to_regprocedure('public.ensure_user_profile(uuid)') is not null as ensure,
             to_regprocedure('public.generate_unique_username(text,uuid)') is not null as username`
      .execute(db)
      .then((r) => r.rows[0]!)
      .catch((error: unknown) => {
        hasDbFunctions = undefined;
        throw error;
      }));

  return async function ensureUserProfile(userId: string): Promise<EnsureOutcome> {
    const functions = await detect();
    const authUser = await sql<{ id: string }>`select id from auth.users where id = ${userId}::uuid`.execute(db);
    if (authUser.rows.length === 0) return { kind: 'missing_auth_user' };
    const existed = await sql<{ id: string }>`select id from public.users where id = ${userId}::uuid`.execute(db);
    if (existed.rows.length === 0) {
      if (functions.ensure) {
        await sql`select 1 from public.ensure_user_profile(${userId}::uuid)`.execute(db);
      } else {
        const username = functions.username
          ? sql`public.generate_unique_username(a.email, a.id)`
          : sql`'user_' || substr(replace(a.id::text, '-', ''), 1, 25)`;
        await sql`
          insert into public.users (id, email, email_verified, username, display_name, avatar_url, created_at)
          select a.id, a.email, a.email_confirmed_at is not null, ${username},
                 coalesce(a.raw_user_meta_data ->> 'display_name', a.raw_user_meta_data ->> 'full_name', a.raw_user_meta_data ->> 'name'),
                 a.raw_user_meta_data ->> 'avatar_url', a.created_at
            from auth.users a where a.id = ${userId}::uuid
          on conflict (id) do nothing`.execute(db);
      }
    }
    const { rows } = await sql<UserProfileRow>`
      select id, email, email_verified, username, display_name, avatar_url, created_at, updated_at
        from public.users where id = ${userId}::uuid`.execute(db);
    if (!rows[0]) return { kind: 'missing_auth_user' };
    return { kind: 'ok', created: existed.rows.length === 0, user: rows[0] };
  };
}

/** Auth-owned fields follow auth.users on UPDATE; profile fields the user may have edited do not. */
export async function refreshAuthOwnedFields(db: Kysely<Database>, userId: string): Promise<void> {
  await sql`
    update public.users u
       set email = a.email,
           email_verified = a.email_confirmed_at is not null,
           display_name = coalesce(u.display_name, a.raw_user_meta_data ->> 'display_name', a.raw_user_meta_data ->> 'full_name', a.raw_user_meta_data ->> 'name'),
           avatar_url = coalesce(u.avatar_url, a.raw_user_meta_data ->> 'avatar_url')
      from auth.users a
     where a.id = u.id and u.id = ${userId}::uuid
       and (u.email is distinct from a.email
            or u.email_verified is distinct from (a.email_confirmed_at is not null)
            or (u.display_name is null and coalesce(a.raw_user_meta_data ->> 'display_name', a.raw_user_meta_data ->> 'full_name', a.raw_user_meta_data ->> 'name') is not null)
            or (u.avatar_url is null and a.raw_user_meta_data ->> 'avatar_url' is not null))`.execute(db);
}
