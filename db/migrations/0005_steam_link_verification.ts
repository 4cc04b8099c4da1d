import { sql, type Kysely } from 'kysely';

/**
 * Proven ownership of a linked platform account.
 *
 * `verified` is true when the link itself proved the user owns the account: a Steam OpenID sign-in,
 * or PSN / Xbox tokens (only the account's owner can hand them over). A Steam link made by typing a
 * SteamID64 or vanity name proves nothing and stays false.
 *
 * One user at most may hold a verified link of a given platform account: the partial unique index
 * is the referee when two users prove the same account at once. Other users' unverified links of a
 * verified account stop syncing (`ownership_claimed`).
 *
 * Backfill: existing PSN / Xbox links with stored tokens become verified, except where several users
 * hold the same account (nobody can be chosen for them; they stay unverified, keep syncing, and the
 * next user to relink proves it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table public.platform_accounts add column verified boolean not null default false;

    update public.platform_accounts pa set verified = true
     where pa.platform_id in (1, 2)
       and pa.credentials_ciphertext is not null
       and not exists (
         select 1 from public.platform_accounts o
          where o.platform_id = pa.platform_id and o.external_account_id = pa.external_account_id and o.user_id <> pa.user_id);

    create unique index platform_accounts_verified_external_key
      on public.platform_accounts (platform_id, external_account_id) where verified;

    -- 0003 grants authenticated a column list (never the credentials); the new column joins it.
    grant select (verified) on public.platform_accounts to authenticated;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The column grant goes with the column.
  await sql`
    drop index if exists public.platform_accounts_verified_external_key;
    alter table public.platform_accounts drop column if exists verified;
  `.execute(db);
}
