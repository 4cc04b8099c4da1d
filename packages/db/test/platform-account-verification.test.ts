import { afterAll, describe, expect, it } from 'vitest';
import { createDb, migrateDown, migrateToLatest, migrationStatus } from '@ach/db';
import { createEmptyDatabase, type EmptyDatabase } from './empty-database.ts';

const MIGRATION = '0005_steam_link_verification';

let database: EmptyDatabase | undefined;
afterAll(async () => {
  await database?.drop();
});

describe(`migration ${MIGRATION}`, () => {
  it('backfills PSN/Xbox token links as verified (not shared ones), lets one user verify an account, and goes down cleanly', async () => {
    database = await createEmptyDatabase();
    const db = createDb(database.url, { max: 2 });
    try {
      await migrateToLatest(db, database.url);
      // Back to just before this migration, whatever comes after it.
      while ((await migrationStatus(db)).find((m) => m.name === MIGRATION)?.executedAt) await migrateDown(db, database.url);

      const users: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { rows } = await database.query<{ id: string }>(`insert into auth.users (email) values ($1) returning id`, [`v${i}@example.test`]);
        users.push(rows[0]!.id);
      }
      const [a, b, c, d] = users as [string, string, string, string];
      const link = (user: string, platformId: number, external: string, sealed: boolean) =>
        database!.query(
          `insert into public.platform_accounts (user_id, platform_id, external_account_id, credentials_ciphertext, credentials_key_id) values ($1, $2, $3, $4, $5)`,
          [user, platformId, external, sealed ? 'v1.sealed' : null, sealed ? 'k1' : null],
        );
      await link(a, 1, 'psn-solo', true);
      await link(a, 3, '76561198000000001', false);
      await link(b, 1, 'psn-shared', true);
      await link(c, 1, 'psn-shared', true);
      await link(b, 2, 'xbox-solo', true);
      await link(d, 3, '76561198000000001', false);

      await migrateToLatest(db, database.url);
      const { rows } = await database.query<{ user_id: string; platform_id: number; verified: boolean }>(
        'select user_id, platform_id, verified from public.platform_accounts order by user_id, platform_id');
      const verified = (user: string, platformId: number) => rows.find((r) => r.user_id === user && r.platform_id === platformId)?.verified;
      expect(verified(a, 1)).toBe(true);
      expect(verified(b, 2)).toBe(true);
      expect(verified(b, 1)).toBe(false);
      expect(verified(c, 1)).toBe(false);
      expect(verified(a, 3)).toBe(false);
      expect(verified(d, 3)).toBe(false);

      // One verified link per platform account; any number of unverified ones.
      await database.query(`update public.platform_accounts set verified = true where user_id = $1 and platform_id = 3`, [a]);
      await expect(database.query(`update public.platform_accounts set verified = true where user_id = $1 and platform_id = 3`, [d]))
        .rejects.toMatchObject({ code: '23505', constraint: 'platform_accounts_verified_external_key' });
      const { rows: grants } = await database.query<{ privilege_type: string }>(
        `select privilege_type from information_schema.column_privileges
          where table_schema = 'public' and table_name = 'platform_accounts' and column_name = 'verified' and grantee = 'authenticated'`);
      expect(grants.map((g) => g.privilege_type)).toEqual(['SELECT']);

      await migrateDown(db, database.url);
      while ((await migrationStatus(db)).find((m) => m.name === MIGRATION)?.executedAt) await migrateDown(db, database.url);
      const { rows: columns } = await database.query(
        `select 1 from information_schema.columns where table_schema = 'public' and table_name = 'platform_accounts' and column_name = 'verified'`);
      expect(columns).toHaveLength(0);
    } finally {
      await db.destroy();
    }
  });
});
