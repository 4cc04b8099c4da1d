/**
 * XSTS `XErr` values (Microsoft's Xbox services docs; also what prismarine-auth / xbox-webapi users hit),
 * mapped to app-facing codes: each needs a different action from the user, none is fixed by retrying.
 */
export const XSTS_ERROR_CODES: Readonly<Record<number, { code: string; message: string }>> = {
  2148916227: { code: 'xbox_account_banned', message: 'The Microsoft account is banned from Xbox Live' },
  2148916229: { code: 'xbox_parental_restriction', message: 'A guardian has not allowed this account to go online' },
  2148916233: { code: 'xbox_account_missing', message: 'The Microsoft account has no Xbox profile (create one at xbox.com)' },
  2148916234: { code: 'xbox_terms_not_accepted', message: 'The Xbox terms of use have not been accepted on this account' },
  2148916235: { code: 'xbox_region_unavailable', message: 'Xbox Live is not available in the account’s country' },
  2148916236: { code: 'xbox_age_verification_required', message: 'The account needs adult verification' },
  2148916237: { code: 'xbox_age_verification_required', message: 'The account needs adult verification' },
  2148916238: { code: 'xbox_child_account', message: 'A child account must be added to a Microsoft family by an adult' },
};
