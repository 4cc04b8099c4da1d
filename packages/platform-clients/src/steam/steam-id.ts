/**
 * SteamID64 of an individual account: 76561197960265728 + account number (universe 1, type 1,
 * instance 1). Always a string: it does not fit a JS number exactly.
 */
const INDIVIDUAL_BASE = 76561197960265728n;
const MAX_ACCOUNT_NUMBER = 0xffffffffn;

export function isSteamId64(value: string): boolean {
  if (!/^7656119\d{10}$/.test(value)) return false;
  const account = BigInt(value) - INDIVIDUAL_BASE;
  return account > 0n && account <= MAX_ACCOUNT_NUMBER;
}

/** Vanity names are 2–32 characters of letters, digits, `_` and `-` (what steamcommunity.com/id/ accepts). */
export function isSteamVanityName(value: string): boolean {
  return /^[A-Za-z0-9_-]{2,32}$/.test(value);
}
