import { describe, expect, it } from 'vitest';
import { createSandboxState } from '../src/state.ts';

// Secret scans (the reliability suite's security sweep) look for every token the platforms handed
// out, including ones that were since rotated, refreshed or expired.
describe('issuedSecrets', () => {
  it('lists every PSN code and token and every Xbox token issued since the last reset', () => {
    const state = createSandboxState();
    const [psnAccount] = state.psn.listAccounts();
    const code = state.psn.issueAuthorizationCode(psnAccount!.accountId);
    const first = state.psn.issueTokens(psnAccount!.accountId);
    const refreshed = state.psn.refresh(first.refreshToken)!.tokens;

    const [xboxAccount] = state.xbox.listAccounts();
    const msa = state.xbox.refreshMsa(xboxAccount!.seedRefreshToken)!;
    const rotatedAgain = state.xbox.refreshMsa(msa.refreshToken)!;
    const user = state.xbox.issueUserToken(msa.accessToken)!.token.token;
    const xsts = state.xbox.issueXsts(xboxAccount!.xuid).token;

    const issued = state.issuedSecrets();
    for (const secret of [code, first.accessToken, first.refreshToken, first.idToken, refreshed.accessToken, refreshed.refreshToken]) {
      expect(issued).toContain(secret);
    }
    for (const secret of [msa.accessToken, msa.refreshToken, rotatedAgain.refreshToken, rotatedAgain.accessToken, user, xsts]) {
      expect(issued).toContain(secret);
    }
    // The seeded credentials are what users paste (listAccounts has them), not issued ones.
    expect(issued).not.toContain(psnAccount!.npsso);
    expect(issued).not.toContain(xboxAccount!.seedRefreshToken);

    state.reset();
    expect(state.issuedSecrets()).toEqual([]);
  });
});
