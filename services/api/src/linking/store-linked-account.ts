import type { Kysely } from 'kysely';
import { createPlatformAccountRepository, OWNERSHIP_CLAIMED, type LinkedAccountRow } from '@ach/accounts';
import { credentialsAssociatedData, type CredentialCipher } from '@ach/crypto';
import type { Database, Platform, PlatformId } from '@ach/db';
import { ProblemError } from '../problem.ts';
import type { LinkedAccount } from './account-linking.ts';

const ownershipClaimed = (platform: Platform) =>
  new ProblemError(409, OWNERSHIP_CLAIMED, `Another user has proven they own this ${platform} account; it can only be linked to theirs`);

/**
 * Stores a link: seals the tokens (bound to user + platform) and upserts the caller's row; a link
 * that proves ownership (`verified`) flags every other user's unverified link of the same account
 * (their syncs are refused from now on) — see the account repository's `link`.
 *
 * Refused with 409 `ownership_claimed` when another user already holds a verified link of the
 * account, 409 `profile_missing` before the user's profile exists.
 */
export async function storeLinkedAccount(
  deps: { db: Kysely<Database>; cipher: CredentialCipher },
  input: { userId: string; platform: { id: PlatformId; slug: Platform }; account: LinkedAccount; verified: boolean },
): Promise<LinkedAccountRow> {
  const { userId, platform, account, verified } = input;
  const sealed = account.credentials ? deps.cipher.sealJson(account.credentials, credentialsAssociatedData(userId, platform.slug)) : undefined;
  const outcome = await createPlatformAccountRepository(deps.db).link({
    userId,
    platformId: platform.id,
    externalAccountId: account.externalAccountId,
    displayName: account.displayName,
    avatarUrl: account.avatarUrl,
    credentials: sealed,
    tokenExpiresAt: account.tokenExpiresAt,
    refreshExpiresAt: account.refreshExpiresAt,
    verified,
  });
  switch (outcome.kind) {
    case 'linked':
      return outcome.account;
    case 'ownership_claimed':
      throw ownershipClaimed(platform.slug);
    case 'profile_missing':
      throw new ProblemError(409, 'profile_missing', 'Your user profile does not exist yet; call POST /users/sync first');
  }
}
