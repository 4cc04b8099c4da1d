import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type StartedSandbox } from '@ach/platform-sandbox';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { createPlatformLinking } from '../src/linking/platform-linking.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

const PSN_NPSSO = 'sandbox-npsso-demo';
const XBOX_REFRESH = 'sandbox-msa-demo';
/**
 * PSN / Xbox links prove ownership, and a platform account can be verified by one user only: each test
 * that links one uses its own sandbox account (they share this file's database).
 */
const OTHER_PSN_NPSSO = 'sandbox-npsso-ikemenzi';
const SECRET_PSN_NPSSO = 'sandbox-npsso-vaulttec-trading';
const SECRET_XBOX_REFRESH = 'sandbox-msa-e';

let sandbox: StartedSandbox;
let h: ApiHarness;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const url = sandbox.url;
  h = await createApiHarness({
    linking: createPlatformLinking(builtinPlatformRegistry(), {
      STEAM_API_KEY: 'sandbox-steam-key',
      STEAM_API_BASE_URL: url,
      PSN_AUTH_BASE_URL: url,
      PSN_API_BASE_URL: url,
      XBOX_CLIENT_ID: 'sandbox-xbox-client',
      XBOX_MSA_BASE_URL: url,
      XBOX_USER_AUTH_BASE_URL: url,
      XBOX_XSTS_BASE_URL: url,
      XBOX_PROFILE_BASE_URL: url,
    }),
  });
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

const account = async (userId: string, platformId: number) =>
  (await sql<{ external_account_id: string; display_name: string | null; credentials_ciphertext: string | null; credentials_key_id: string | null }>`
    select external_account_id, display_name, credentials_ciphertext, credentials_key_id
      from platform_accounts where user_id = ${userId}::uuid and platform_id = ${platformId}::smallint`.execute(h.db)).rows[0];

describe('PUT /accounts/:platform against the platform sandbox', () => {
  it('links PSN: stores account id and online id, tokens sealed', async () => {
    const user = await h.createUser();
    const res = await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(user), payload: { npsso: PSN_NPSSO } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ platform: 'psn', externalAccountId: '9007199254740993123', displayName: 'sandbox_demo', syncStatus: 'idle' });
    const row = await account(user, 1);
    expect(row).toMatchObject({ external_account_id: '9007199254740993123', display_name: 'sandbox_demo', credentials_key_id: h.deps.cipher.currentKeyId });
    const opened = h.deps.cipher.openJson<Record<string, string>>({ ciphertext: row!.credentials_ciphertext!, keyId: row!.credentials_key_id! }, `${user}:psn`);
    expect(opened.refreshToken).toBeTruthy();
    expect(res.body).not.toContain(opened.refreshToken);
  });

  it('links Xbox: stores xuid and gamertag', async () => {
    const user = await h.createUser();
    const res = await h.app.inject({ method: 'PUT', url: '/accounts/xbox', headers: await h.bearer(user), payload: { refreshToken: XBOX_REFRESH } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ platform: 'xbox', externalAccountId: '2535411111111111', displayName: 'SandboxDemo' });
    expect((await account(user, 2))?.credentials_ciphertext).toMatch(/^v1\./);
  });

  it('links Steam by SteamID64 and by vanity name (no credentials stored)', async () => {
    const user = await h.createUser();
    const byId = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(user), payload: { steamId: '76561198000000001' } });
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toMatchObject({ platform: 'steam', externalAccountId: '76561198000000001' });
    expect(byId.json().displayName).toBeTruthy();
    const other = await h.createUser();
    const byVanity = await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(other), payload: { vanity: 'sandbox-rival' } });
    expect(byVanity.statusCode).toBe(200);
    expect(byVanity.json().externalAccountId).toBe('76561198000000002');
    expect(await account(other, 3)).toMatchObject({ credentials_ciphertext: null, credentials_key_id: null });
  });

  it('rejected credentials and unusable Steam profiles answer 422 with the documented code', async () => {
    const user = await h.createUser();
    const headers = await h.bearer(user);
    const cases: [string, object, string][] = [
      ['/accounts/psn', { npsso: 'not-a-known-npsso-value' }, 'invalid_credentials'],
      ['/accounts/xbox', { refreshToken: 'not-a-known-refresh-token' }, 'invalid_credentials'],
      ['/accounts/steam', { steamId: '76561198000000003' }, 'profile_private'],
      ['/accounts/steam', { steamId: '76561198999999999' }, 'account_not_found'],
      ['/accounts/steam', { vanity: 'nobody-has-this-name' }, 'account_not_found'],
    ];
    for (const [url, payload, code] of cases) {
      const res = await h.app.inject({ method: 'PUT', url, headers, payload });
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(422);
      expect(res.json().code, `${url} ${JSON.stringify(payload)}`).toBe(code);
    }
    expect((await sql`select 1 from platform_accounts where user_id = ${user}::uuid`.execute(h.db)).rows).toHaveLength(0);
  });

  it('bad bodies are 400 naming the field', async () => {
    const user = await h.createUser();
    const headers = await h.bearer(user);
    const cases: [string, object, string][] = [
      ['/accounts/psn', {}, 'body.npsso'],
      ['/accounts/xbox', { refreshToken: 42 }, 'body.refreshToken'],
      ['/accounts/steam', { steamId: '123' }, 'body.steamId'],
      ['/accounts/steam', { steamId: '76561198000000001', vanity: 'both' }, 'body.steamId'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await h.app.inject({ method: 'PUT', url, headers, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toContain(field);
    }
    expect((await h.app.inject({ method: 'PUT', url: '/accounts/gog', headers, payload: {} })).statusCode).toBe(404);
  });

  it('GET /accounts lists own accounts without any credential; DELETE unlinks; another user cannot', async () => {
    const user = await h.createUser();
    await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(user), payload: { npsso: OTHER_PSN_NPSSO } });
    await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(user), payload: { steamId: '76561198000000001' } });
    const list = await h.app.inject({ method: 'GET', url: '/accounts', headers: await h.bearer(user) });
    expect(list.json().items.map((a: { platform: string }) => a.platform)).toEqual(['psn', 'steam']);
    expect(list.body).not.toMatch(/ciphertext|credential|token/i);

    const other = await h.createUser();
    expect((await h.app.inject({ method: 'GET', url: '/accounts', headers: await h.bearer(other) })).json().items).toEqual([]);
    expect((await h.app.inject({ method: 'DELETE', url: '/accounts/psn', headers: await h.bearer(other) })).statusCode).toBe(404);
    expect(await account(user, 1)).toBeTruthy();

    const queued = await h.app.inject({ method: 'POST', url: '/sync/psn', headers: await h.bearer(user) });
    const removed = await h.app.inject({ method: 'DELETE', url: '/accounts/psn', headers: await h.bearer(user) });
    expect(removed.statusCode).toBe(204);
    expect(await account(user, 1)).toBeUndefined();
    const run = await sql<{ status: string }>`select status from sync_logs where id = ${queued.json().syncId}::uuid`.execute(h.db);
    expect(run.rows[0]?.status).toBe('cancelled');
    expect((await h.app.inject({ method: 'DELETE', url: '/accounts/psn', headers: await h.bearer(user) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url: '/accounts/gog', headers: await h.bearer(user) })).statusCode).toBe(400);
  });

  it('GET /accounts shows relinkBy: when the PSN refresh token lapses (about 60 days), null for a link without one (Steam)', async () => {
    const user = await h.createUser();
    const before = Date.now();
    expect((await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(user), payload: { npsso: 'sandbox-npsso-vaulttec-co' } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'PUT', url: '/accounts/steam', headers: await h.bearer(user), payload: { steamId: '76561198000000001' } })).statusCode).toBe(200);
    const items = (await h.app.inject({ method: 'GET', url: '/accounts', headers: await h.bearer(user) })).json().items as { platform: string; relinkBy: string | null }[];
    const psn = items.find((a) => a.platform === 'psn')!;
    // The sandbox's refresh token lives 5,183,999 s, as PSN's does.
    const lapses = Date.parse(psn.relinkBy!);
    expect(lapses).toBeGreaterThanOrEqual(before + 5_183_999_000 - 2_000);
    expect(lapses).toBeLessThanOrEqual(Date.now() + 5_183_999_000 + 2_000);
    const stored = await sql<{ refresh_expires_at: Date }>`select refresh_expires_at from platform_accounts where user_id = ${user}::uuid and platform_id = 1`.execute(h.db);
    expect(psn.relinkBy).toBe(stored.rows[0]!.refresh_expires_at.toISOString());
    expect(items.find((a) => a.platform === 'steam')!.relinkBy).toBeNull();
  });

  it('a linked credential is stored encrypted: not in any text/jsonb column, not in the logs, not in a job', async () => {
    const user = await h.createUser();
    await h.app.inject({ method: 'PUT', url: '/accounts/psn', headers: await h.bearer(user), payload: { npsso: SECRET_PSN_NPSSO } });
    await h.app.inject({ method: 'PUT', url: '/accounts/xbox', headers: await h.bearer(user), payload: { refreshToken: SECRET_XBOX_REFRESH } });
    const sync = await h.app.inject({ method: 'POST', url: '/sync/xbox', headers: await h.bearer(user) });
    expect(sync.statusCode).toBe(202);

    const secrets = [SECRET_PSN_NPSSO, SECRET_XBOX_REFRESH];
    for (const [platformId, platform] of [[1, 'psn'], [2, 'xbox']] as const) {
      const row = (await account(user, platformId))!;
      const opened = h.deps.cipher.openJson<Record<string, string>>({ ciphertext: row.credentials_ciphertext!, keyId: row.credentials_key_id! }, `${user}:${platform}`);
      for (const value of Object.values(opened)) if (typeof value === 'string' && value.length >= 12 && !/^\d{4}-\d\d-\d\dT/.test(value)) secrets.push(value);
    }
    expect(secrets.length).toBeGreaterThan(3);

    // A pg_dump-like pass: every text / json / jsonb column of every table in the database.
    const columns = await sql<{ table_schema: string; table_name: string; column_name: string }>`
      select c.table_schema, c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
       where c.table_schema not in ('pg_catalog', 'information_schema')
         and c.data_type in ('text', 'jsonb', 'json', 'character varying')`.execute(h.db);
    expect(columns.rows.length).toBeGreaterThan(10);
    let dump = '';
    for (const c of columns.rows) {
      const { rows } = await sql<{ v: string | null }>`select ${sql.ref(`${c.table_schema}.${c.table_name}.${c.column_name}`)}::text as v from ${sql.table(`${c.table_schema}.${c.table_name}`)}`.execute(h.db);
      dump += rows.map((r) => r.v ?? '').join('\n');
    }
    expect(dump).toContain('v1.'); // the ciphertexts are there
    const job = await h.deps.queues.xbox.getJob(sync.json().syncId);
    const jobText = JSON.stringify(job?.data);
    const logs = h.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(dump.includes(secret), 'database dump').toBe(false);
      expect(logs.includes(secret), 'logs').toBe(false);
      expect(jobText.includes(secret), 'job').toBe(false);
    }
  });
});
