import type { PsnLibraryOptions } from './psn-library.ts';

/**
 * The PSN accounts the sandbox knows at start (and after `/__sandbox/reset`). The NPSSO is what a user
 * pastes into `PUT /accounts/psn`; the account ids and online ids of the first three are the recorded
 * ones from the platform fixtures (ikemenzi is the fixtures' "me"). Account ids are 19-digit strings on
 * purpose: beyond 2^53, so anything that turns one into a JS number is caught.
 */
export interface PsnAccountSeed {
  npsso: string;
  accountId: string;
  onlineId: string;
  aboutMe?: string;
  isPlus?: boolean;
  /** Other users see 403 2240526 on its trophy data. */
  isPrivate?: boolean;
  trophyLevel?: number;
  progress?: number;
  earnedTrophies?: { bronze: number; silver: number; gold: number; platinum: number };
  /** Its trophy list (psn-library.ts); default 20 titles, half earned. */
  library?: PsnLibraryOptions;
}

/** Sony's default-avatar URLs, as the recorded profile answers them (size order s, xl, l, m). */
export const PSN_DEFAULT_AVATARS = [
  { size: 's', url: 'http://static-resource.np.community.playstation.net/avatar_s/default/DefaultAvatar_s.png' },
  { size: 'xl', url: 'http://static-resource.np.community.playstation.net/avatar_xl/default/Defaultavatar_xl.png' },
  { size: 'l', url: 'http://static-resource.np.community.playstation.net/avatar/default/DefaultAvatar.png' },
  { size: 'm', url: 'http://static-resource.np.community.playstation.net/avatar_m/default/DefaultAvatar_m.png' },
] as const;

export const PSN_DEFAULT_ACCOUNTS: readonly PsnAccountSeed[] = [
  {
    npsso: 'sandbox-npsso-ikemenzi',
    accountId: '6515971742264256071',
    library: { titles: 100, earnedRatio: 0.6 },
    onlineId: 'ikemenzi',
    isPlus: true,
    trophyLevel: 512,
    progress: 37,
    earnedTrophies: { bronze: 9120, silver: 2210, gold: 1480, platinum: 620 },
  },
  {
    npsso: 'sandbox-npsso-vaulttec-trading',
    accountId: '8520698476712646544',
    library: { titles: 0 },
    onlineId: 'VaultTec_Trading',
    aboutMe: 'r/Fallout76Marketplace Moderator',
    trophyLevel: 1,
    progress: 0,
    earnedTrophies: { bronze: 0, silver: 0, gold: 0, platinum: 0 },
  },
  {
    npsso: 'sandbox-npsso-vaulttec-co',
    accountId: '2721516955383551246',
    library: { titles: 0 },
    onlineId: 'VaultTec-Co',
    trophyLevel: 1,
    progress: 0,
    earnedTrophies: { bronze: 0, silver: 0, gold: 0, platinum: 0 },
  },
  {
    npsso: 'sandbox-npsso-demo',
    accountId: '9007199254740993123',
    library: { titles: 40, earnedRatio: 0.5 },
    onlineId: 'sandbox_demo',
    aboutMe: 'Demo account of the platform sandbox',
    isPlus: true,
    trophyLevel: 214,
    progress: 58,
    earnedTrophies: { bronze: 1520, silver: 410, gold: 122, platinum: 18 },
  },
  {
    npsso: 'sandbox-npsso-private',
    accountId: '5007681186655854753',
    library: { titles: 30, earnedRatio: 0.4 },
    onlineId: 'sandbox_private',
    isPrivate: true,
    trophyLevel: 77,
    progress: 12,
    earnedTrophies: { bronze: 300, silver: 80, gold: 20, platinum: 2 },
  },
];
