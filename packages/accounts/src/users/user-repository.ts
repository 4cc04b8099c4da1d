import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, UsersTable } from '@ach/db';

/** A `public.users` row, every column (none of them is secret). */
export type UserProfileRow = Selectable<UsersTable>;

export type EnsureOutcome = { kind: 'missing_auth_user' } | { kind: 'ok'; created: boolean; user: UserProfileRow };

export interface UserRepository {
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
  ensureProfile(userId: string): Promise<EnsureOutcome>;
  /**
   * Auth-owned fields follow auth.users on UPDATE; profile fields the user may have edited only get
   * filled when empty. Names and avatars come from the same SQL mapping the trigger uses.
   */
  refreshAuthOwnedFields(userId: string): Promise<void>;
  /** Deletes a profile whose auth user is gone (the foreign key's cascade normally did it already); true when a row went. */
  deleteOrphanedProfile(userId: string): Promise<boolean>;
  profileExists(userId: string): Promise<boolean>;
}

/** Every statement on `public.users`. `db` may be a transaction. */
export function createUserRepository(db: Kysely<Database>): UserRepository {
  return {
    async ensureProfile(userId) {
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
    },

    async refreshAuthOwnedFields(userId) {
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
    },

    async deleteOrphanedProfile(userId) {
      const { rows } = await sql<{ id: string }>`
        delete from public.users u where u.id = ${userId}::uuid
           and not exists (select 1 from auth.users a where a.id = u.id)
        returning u.id`.execute(db);
      return rows.length > 0;
    },

    async profileExists(userId) {
      const { rows } = await sql`select 1 from users where id = ${userId}::uuid`.execute(db);
      return rows.length > 0;
    },
  };
}
