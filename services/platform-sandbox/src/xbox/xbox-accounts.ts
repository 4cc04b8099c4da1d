import type { XboxLibraryOptions } from './xbox-library.ts';

/**
 * The Microsoft accounts the sandbox knows at start (and after reset). `refreshToken` is the value a user
 * gives `PUT /accounts/xbox`; it stays valid for ever (like a fresh sign-in), while every refresh hands out
 * a new, rotated one and retires the one it was given. `xstsError` makes XSTS refuse the account with that
 * `XErr`, as Xbox Live does for a Microsoft account without an Xbox profile (2148916233) or a child outside
 * a family (2148916238). `library` sizes its generated title history (none: an empty history).
 */
export interface XboxAccountSeed {
  refreshToken: string;
  xuid: string;
  gamertag: string;
  userHash: string;
  ageGroup?: 'Adult' | 'Teen' | 'Child';
  xstsError?: number;
  gamerscore?: number;
  displayPicRaw?: string;
  realName?: string;
  bio?: string;
  library?: XboxLibraryOptions;
}

/** The recorded gamerpic of the fixtures' account (profile-settings.json). */
export const XBOX_FIXTURE_GAMERPIC =
  'https://images-eds-ssl.xboxlive.com/image?url=z951ykn43p4FqWbbFvR2Ec.8vbDhj8G2Xe7JngaTToBrrCmIEEXHC9UNrdJ6P7KIl_5PaIHeJ592LG1L.uCOWneEDBhHctvuC06CzW38LKNYiVGTXqxcsQqYGIrr8hFz&format=png';

export const XSTS_NO_XBOX_ACCOUNT = 2148916233;
export const XSTS_CHILD_ACCOUNT = 2148916238;

export const XBOX_DEFAULT_ACCOUNTS: readonly XboxAccountSeed[] = [
  {
    refreshToken: 'sandbox-msa-e',
    xuid: '2669321029139235',
    gamertag: 'e',
    userHash: '3218841136841218711',
    gamerscore: 98096,
    displayPicRaw: XBOX_FIXTURE_GAMERPIC,
    realName: 'Eric Neustadter',
    bio: 'ex-Xbox',
    library: { titles: 40, achievementsPerTitle: 25, x360Ratio: 0.25, earnedRatio: 0.45 },
  },
  {
    refreshToken: 'sandbox-msa-demo',
    xuid: '2535411111111111',
    gamertag: 'SandboxDemo',
    userHash: '1234567890123456789',
    gamerscore: 12345,
    displayPicRaw: XBOX_FIXTURE_GAMERPIC,
    library: { titles: 24, achievementsPerTitle: 20, x360Ratio: 0.25, earnedRatio: 0.5 },
  },
  {
    refreshToken: 'sandbox-msa-collector',
    xuid: '2535422222222222',
    gamertag: 'SandboxCollector',
    userHash: '4444444444444444444',
    gamerscore: 0,
    displayPicRaw: XBOX_FIXTURE_GAMERPIC,
    // The benchmark library: 1,000 titles × 40 achievements, generated per title on demand.
    library: { titles: 1000, achievementsPerTitle: 40, x360Ratio: 0.2, earnedRatio: 0.6 },
  },
  {
    refreshToken: 'sandbox-msa-no-xbox',
    xuid: '2535400000000002',
    gamertag: 'NoXboxProfile',
    userHash: '2222222222222222222',
    xstsError: XSTS_NO_XBOX_ACCOUNT,
  },
  {
    refreshToken: 'sandbox-msa-child',
    xuid: '2535400000000003',
    gamertag: 'SandboxKid',
    userHash: '3333333333333333333',
    ageGroup: 'Child',
    xstsError: XSTS_CHILD_ACCOUNT,
  },
];
