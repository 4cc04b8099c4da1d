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
 * signup trigger. The mapping lives once, in the database: `public.ensure_user_profile(uuid)` (the
 * same function the trigger's path uses) answers true when it created the row and raises
 * no_data_found (P0002) when there is no such auth user.
 *
 * Never invents an identity: without an `auth.users` row the answer is `missing_auth_user`.
 * Creating auth users from token claims would let anyone holding a signing key mint accounts in
 * the auth schema, which on Supabase belongs to GoTrue.
 */
export function createUserProfileEnsurer(db: Kysely<Database>) {
  return async function ensureUserProfile(userId: string): Promise<EnsureOutcome> {
    let created: boolean;
    try {
      const { rows } = await sql<{ created: boolean }>`select public.ensure_user_profile(${userId}::uuid) as created`.execute(db);
      created = rows[0]!.created;
    } catch (error) {
      if ((error as { code?: string }).code === 'P0002') return { kind: 'missing_auth_user' };
      throw error;
    }
    const { rows } = await sql<UserProfileRow>`
      select id, email, email_verified, username, display_name, avatar_url, created_at, updated_at
        from public.users where id = ${userId}::uuid`.execute(db);
    if (!rows[0]) return { kind: 'missing_auth_user' };
    return { kind: 'ok', created, user: rows[0] };
  };
}

/**
 * Auth-owned fields follow auth.users on UPDATE; profile fields the user may have edited only get
 * filled when empty. Names and avatars come from the same SQL mapping the trigger uses.
 */
export async function refreshAuthOwnedFields(db: Kysely<Database>, userId: string): Promise<void> {
  await sql`
    update public.users u
       set email = a.email,
           email_verified = a.email_confirmed_at is not null,
           display_name = coalesce(u.display_name, public.auth_display_name(a.raw_user_meta_data)),
           avatar_url = coalesce(u.avatar_url, public.auth_avatar_url(a.raw_user_meta_data))
      from auth.users a
     where a.id = u.id and u.id = ${userId}::uuid
       and (u.email is distinct from a.email
            or u.email_verified is distinct from (a.email_confirmed_at is not null)
            or (u.display_name is null and public.auth_display_name(a.raw_user_meta_data) is not null)
            or (u.avatar_url is null and public.auth_avatar_url(a.raw_user_meta_data) is not null))`.execute(db);
}
