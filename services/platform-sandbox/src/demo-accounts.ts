import { DEFAULT_STEAM_API_KEY } from './steam/steam-state.ts';

/**
 * The sandbox accounts `npm run demo` links (one per platform), with the credentials a user would paste.
 * Each must exist in its platform's default accounts (PSN: psn/psn-accounts.ts, Xbox: xbox/xbox-accounts.ts,
 * Steam: DEFAULT_STEAM_ACCOUNTS); the sandbox tests check that.
 */
export const DEMO_ACCOUNTS = {
  steam: { apiKey: DEFAULT_STEAM_API_KEY, steamId: '76561198000000001', vanity: 'sandbox-demo' },
  psn: { npsso: 'sandbox-npsso-demo' },
  /** The sandbox accepts any client id; this one just reads well in logs. */
  xbox: { clientId: 'sandbox-xbox-client', refreshToken: 'sandbox-msa-demo' },
} as const;
