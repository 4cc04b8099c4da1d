import { sql, type Kysely } from 'kysely';
import { credentialsAssociatedData, type CredentialCipher } from '@ach/crypto';
import { PLATFORM_IDS, type Database, type Platform } from '@ach/db';
import { ProblemError } from '../problem.ts';
import { accountColumns, type AccountRow } from '../routes/accounts/account-view.ts';
import type { LinkedAccount } from './account-linking.ts';

/** The partial unique index of migration 0005: one verified link per platform account. */
const VERIFIED_EXTERNAL_KEY = 'platform_accounts_verified_external_key';

export const OWNERSHIP_CLAIMED = 'ownership_claimed';

export const ownershipClaimed = (platform: Platform) =>
  new ProblemError(409, OWNERSHIP_CLAIMED, `Another user has proven they own this ${platform} account; it can only be linked to theirs`);

/**
 * Stores a link: seals the tokens (bound to user + platform), upserts the caller's row and, when the
 * link proves ownership (`verified`), flags every other user's unverified link of the same account
 * (`needs_attention`, `ownership_claimed`; their syncs are refused from now on) — one transaction.
 *
 * Refused with 409 `ownership_claimed` when another user already holds a verified link of the
 * account: a verified link would break the one-owner rule (the unique index referees races), and an
 * unverified one could never sync. Relinking the same account keeps an earlier proof; linking a
 * different one drops it.
 */
export async function storeLinkedAccount(
  deps: { db: Kysely<Database>; cipher: CredentialCipher },
  input: { userId: string; platform: Platform; account: LinkedAccount; verified: boolean },
): Promise<AccountRow> {
  const { userId, platform, account, verified } = input;
  const platformId = PLATFORM_IDS[platform];
  const sealed = account.credentials ? deps.cipher.sealJson(account.credentials, credentialsAssociatedData(userId, platform)) : undefined;
  const at = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
  try {
    return await deps.db.transaction().execute(async (tx) => {
      const { rows } = await sql<AccountRow>`
        insert into platform_accounts (user_id, platform_id, external_account_id, display_name, avatar_url,
                                       credentials_ciphertext, credentials_key_id, token_expires_at, refresh_expires_at, verified)
        select ${userId}::uuid, ${platformId}::smallint, ${account.externalAccountId}::text, ${account.displayName}::text,
               ${account.avatarUrl}::text, ${sealed?.ciphertext ?? null}::text, ${sealed?.keyId ?? null}::text,
               ${at(account.tokenExpiresAt)}::timestamptz, ${at(account.refreshExpiresAt)}::timestamptz, ${verified}::boolean
         where ${verified}::boolean or not exists (
                 select 1 from platform_accounts o
                  where o.platform_id = ${platformId}::smallint and o.external_account_id = ${account.externalAccountId}::text
                    and o.verified and o.user_id <> ${userId}::uuid)
        on conflict (user_id, platform_id) do update set
          external_account_id = excluded.external_account_id,
          display_name = excluded.display_name,
          avatar_url = excluded.avatar_url,
          credentials_ciphertext = excluded.credentials_ciphertext,
          credentials_key_id = excluded.credentials_key_id,
          token_expires_at = excluded.token_expires_at,
          refresh_expires_at = excluded.refresh_expires_at,
          verified = excluded.verified
                     or (platform_accounts.verified and platform_accounts.external_account_id = excluded.external_account_id),
          needs_attention = false,
          last_error_code = null
        returning ${accountColumns}`.execute(tx);
      const row = rows[0];
      if (!row) throw ownershipClaimed(platform);
      if (row.verified) {
        await sql`
          update platform_accounts set needs_attention = true, last_error_code = ${OWNERSHIP_CLAIMED}
           where platform_id = ${platformId}::smallint and external_account_id = ${account.externalAccountId}::text
             and user_id <> ${userId}::uuid and not verified
             and (needs_attention, last_error_code) is distinct from (true, ${OWNERSHIP_CLAIMED}::text)`.execute(tx);
      }
      return row;
    });
  } catch (error) {
    const pg = error as { code?: string; constraint?: string };
    if (pg.code === '23503') {
      throw new ProblemError(409, 'profile_missing', 'Your user profile does not exist yet; call POST /users/sync first');
    }
    if (pg.code === '23505' && pg.constraint === VERIFIED_EXTERNAL_KEY) throw ownershipClaimed(platform);
    throw error;
  }
}
