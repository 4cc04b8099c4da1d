import type { Kysely } from 'kysely';
import { createPlatformAccountRepository } from '@ach/accounts';
import type { Database, Platform, PlatformId } from '@ach/db';
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
  { platform, platformId }: { platform: Platform; platformId: PlatformId },
): Promise<AdapterAccount> {
  const accounts = createPlatformAccountRepository(deps.db);
  const row = await accounts.loadForSync(userId, platformId);
  if (!row) throw new SyncJobError('account_not_linked', `no ${platform} account is linked for this user`);
  // Another user proved they own this account (Steam sign-in): this unverified link must not sync.
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
    saveCredentials: async (value, expiry) => {
      if (!deps.cipher) throw new SyncJobError('credentials_unavailable', 'no CREDENTIALS_ENCRYPTION_KEY to seal credentials');
      const sealed = deps.cipher.sealJson(value, aad);
      await accounts.saveCredentials(userId, platformId, sealed, expiry);
    },
  };
}
