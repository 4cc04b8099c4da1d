import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
  lines(): Record<string, unknown>[] {
    return this.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

function logger() {
  const out = new Capture();
  return { out, log: createLogger({ name: 'redaction-test', level: 'trace', destination: out }) };
}

/** Every value below must be absent from the output, whatever shape carries it. */
const SECRETS = {
  access: 'AT-3f9a1c-access-value',
  refresh: 'RT-77be02-refresh-value',
  npsso: 'NPSSO-0c4d5e6f7a8b9c0d',
  id: 'IDT-5521-id-token-value',
  xsts: 'XSTS-aa11bb22cc33-value',
  password: 'hunter2-board-password',
  secret: 'webhook-secret-0123456789abcdef',
  cookie: 'sb-access-token=cookie-value-xyz',
  bearer: 'bearer-token-value-0123456789',
  apiKey: 'STEAMKEY0123456789ABCDEF',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXZhbHVl',
  urlPassword: 'pg-password-in-url',
};

function expectNoSecrets(text: string) {
  for (const [name, value] of Object.entries(SECRETS)) expect(text, name).not.toContain(value);
}

describe('log redaction', () => {
  it('redacts camelCase and snake_case credential keys at every depth, in arrays too', () => {
    const { out, log } = logger();
    log.info(
      {
        account: {
          platform: 'psn',
          credentials: { accessToken: SECRETS.access, refreshToken: SECRETS.refresh },
          links: [{ level2: { level3: { level4: { level5: { access_token: SECRETS.access, refresh_token: SECRETS.refresh, npsso: SECRETS.npsso } } } } }],
        },
        response: { body: { id_token: SECRETS.id, idToken: SECRETS.id, xsts_token: SECRETS.xsts, XSTSToken: SECRETS.xsts, Token: SECRETS.xsts } },
        config: { BULL_BOARD_PASSWORD: SECRETS.password, AUTH_WEBHOOK_SECRET: SECRETS.secret, STEAM_API_KEY: SECRETS.apiKey, apiKey: SECRETS.apiKey },
        headers: { Authorization: `Bearer ${SECRETS.bearer}`, Cookie: SECRETS.cookie, 'x-webhook-secret': SECRETS.secret, 'set-cookie': [SECRETS.cookie] },
        steps: [[[[[[{ password: SECRETS.password }]]]]]],
      },
      'linked',
    );
    expectNoSecrets(out.text);
    const [line] = out.lines();
    // The shape stays readable: non-secret fields are kept, secret ones say they were redacted.
    expect(line).toMatchObject({ msg: 'linked', account: { platform: 'psn', credentials: '[redacted]' } });
    expect((line as { account: { links: { level2: { level3: { level4: { level5: Record<string, string> } } } }[] } }).account.links[0]!.level2.level3.level4.level5).toEqual({
      access_token: '[redacted]',
      refresh_token: '[redacted]',
      npsso: '[redacted]',
    });
  });

  it('redacts properties of errors and of their causes, and tokens quoted in messages', () => {
    const { out, log } = logger();
    const root = Object.assign(new Error(`PSN answered 400 for npsso=${SECRETS.npsso}`), { npsso: SECRETS.npsso, response: { refresh_token: SECRETS.refresh } });
    const middle = Object.assign(new Error(`upstream refused Authorization: Bearer ${SECRETS.bearer}`, { cause: root }), { accessToken: SECRETS.access });
    const top = Object.assign(new Error('could not link account', { cause: middle }), { context: { deeper: { xstsToken: SECRETS.xsts } } });
    log.error({ err: top }, 'link failed');
    log.warn({ error: { cause: { cause: { password: SECRETS.password, message: `jwt ${SECRETS.jwt}` } } } }, 'nested plain causes');
    log.error(new Error(`connect to postgres://app:${SECRETS.urlPassword}@db:5432/x failed`));
    expectNoSecrets(out.text);
    const [first] = out.lines();
    expect(first).toMatchObject({ msg: 'link failed', err: { type: 'Error', message: expect.stringContaining('could not link account') } });
    expect(out.text).toContain('[redacted]');
  });

  it('redacts child-logger bindings and leaves lines without secrets untouched', () => {
    const { out, log } = logger();
    log.child({ session: { refreshToken: SECRETS.refresh } }).info({ syncId: 'abc', tokenExpiresAt: '2030-01-01T00:00:00Z', hasToken: true }, 'sync started');
    expectNoSecrets(out.text);
    expect(out.lines()[0]).toMatchObject({ syncId: 'abc', tokenExpiresAt: '2030-01-01T00:00:00Z', hasToken: true, session: { refreshToken: '[redacted]' } });
    log.info({ games: 3, msg2: 'invalid token: expired' }, 'plain');
    expect(out.lines()[1]).toMatchObject({ games: 3, msg2: 'invalid token: expired', msg: 'plain' });
  });

  it('survives cyclic objects and very deep nesting without throwing or leaking', () => {
    const { out, log } = logger();
    const cyclic: Record<string, unknown> = { refresh_token: SECRETS.refresh };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { access_token: SECRETS.access };
    for (let i = 0; i < 200; i++) deep = { next: deep };
    expect(() => log.info({ cyclic, deep }, 'odd shapes')).not.toThrow();
    expectNoSecrets(out.text);
    expect(out.lines()).toHaveLength(1);
  });
});
