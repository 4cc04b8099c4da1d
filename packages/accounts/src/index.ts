export {
  createPlatformAccountRepository,
  LINKED_ACCOUNT_COLUMNS,
  mirrorRunProgress,
  OWNERSHIP_CLAIMED,
  ownershipClaimedByOther,
  type AccountRunRef,
  type CredentialExpiry,
  type LinkedAccountRow,
  type LinkInput,
  type LinkOutcome,
  type PlatformAccountRepository,
  type SealedCredentials,
  type SyncAccountRow,
} from './platform-accounts/platform-account-repository.ts';
export { createUserRepository, type EnsureOutcome, type UserProfileRow, type UserRepository } from './users/user-repository.ts';
