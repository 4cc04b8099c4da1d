import { secretsEqual } from '@ach/crypto';

/** BULL_BOARD_USER / BULL_BOARD_PASSWORD: Bull Board's basic auth and the dashboard's sign-in. */
export function credentialsMatch(given: { user: string; password: string }, user: string, password: string): boolean {
  // Both compared, always, in constant time: no early exit tells which half was wrong.
  const userOk = secretsEqual(given.user, user);
  const passwordOk = secretsEqual(given.password, password);
  return userOk && passwordOk;
}
