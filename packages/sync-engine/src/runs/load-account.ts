import { sql, type Kysely } from 'kysely';
import { PLATFORM_IDS, type Database, type Platform } from '@ach/db';
import { credentialsAssociatedData, type CredentialCipher } from '@ach/crypto';
import type { AdapterAccount } from '../adapter/platform-adapter.ts';
import { SyncJobError } from '../sync-job-error.ts';

/**
 * The linked account as the adapter sees it. Credentials are opened only when the adapter asks
 * (Steam never does) and never leave this process unsealed.
 */
export async function loadAccount(
  deps: { db: Kysely<Database>; cipher?: CredentialCipher },
  userId: string,
  platform: Platform,
): Promise<AdapterAccount> {
  const platformId = PLATFORM_IDS[platform];
  const row = await deps.db
    .selectFrom('platform_accounts as pa')
    .select(['pa.external_account_id', 'pa.credentials_ciphertext', 'pa.credentials_key_id'])
    // Another user proved they own this account (Steam sign-in): this unverified link must not sync.
    .select(sql<boolean>`exists (
      select 1 from platform_accounts o
       where o.platform_id = pa.platform_id and o.external_account_id = pa.external_account_id
         and o.verified and o.user_id <> pa.user_id)`.as('claimed_by_other'))
    .where('pa.user_id', '=', userId)
    .where('pa.platform_id', '=', platformId)
    .executeTakeFirst();
  if (!row) throw new SyncJobError('account_not_linked', `no ${platform} account is linked for this user`);
  if (row.claimed_by_other) {
    throw new SyncJobError('ownership_claimed', `Another user has proven they own this ${platform} account; link an account you own`, { needsAttention: true });
  }
  const aad = credentialsAssociatedData(userId, platform);
  return {
    userId,
    externalAccountId: row.external_account_id,
    credentials: () => {
      if (!row.credentials_ciphertext || !row.credentials_key_id) return null;
      if (!deps.cipher) throw new SyncJobError('credentials_unavailable', 'stored credentials but no CREDENTIALS_ENCRYPTION_KEY to open them');
      try {
        return deps.cipher.openJson({ ciphertext: row.credentials_ciphertext, keyId: row.credentials_key_id }, aad);
      } catch (error) {
        throw new SyncJobError('invalid_credentials', 'The stored sign-in cannot be read; link the account again', { needsAttention: true, cause: error });
      }
    },
    saveCredentials: async (value) => {
      if (!deps.cipher) throw new SyncJobError('credentials_unavailable', 'no CREDENTIALS_ENCRYPTION_KEY to seal credentials');
      const sealed = deps.cipher.sealJson(value, aad);
      await deps.db
        .updateTable('platform_accounts')
        .set({ credentials_ciphertext: sealed.ciphertext, credentials_key_id: sealed.keyId })
        .where('user_id', '=', userId)
        .where('platform_id', '=', platformId)
        .execute();
    },
  };
}
