import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb, migrateToLatest, MIGRATIONS_DIR } from '@ach/db';
import { resolveTestServices, withDatabase } from './test-services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
    redisUrl: string;
    testRunId: string;
  }
}

/** Migrations' content decides the template's name: a changed migration builds a new template. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  return hash.digest('hex').slice(0, 12);
}

async function ensureTemplate(adminUrl: string): Promise<string> {
  const name = `ach_template_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Two test runs at once (a developer and a CI job) must not build the same template together.
    await admin.query('select pg_advisory_lock(7231002)');
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      // Another checkout's run may still be cloning an older template: keep the newest few and
      // drop only what is older than that (oids grow with creation).
      const stale = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like 'ach_template_%' and datname not like '%_building' order by oid desc offset 3",
      );
      for (const row of stale.rows) {
        await admin.query(`alter database "${row.datname}" is_template false`).catch(() => {});
        await admin.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
      }
      const building = `${name}_building`;
      await admin.query(`drop database if exists "${building}" with (force)`);
      await admin.query(`create database "${building}"`);
      const url = withDatabase(adminUrl, building);
      const db = createDb(url, { max: 2 });
      try {
        await migrateToLatest(db, url);
      } finally {
        await db.destroy();
      }
      await admin.query(`alter database "${building}" rename to "${name}"`);
      await admin.query(`alter database "${name}" is_template true`);
    }
    return name;
  } finally {
    await admin.query('select pg_advisory_unlock(7231002)').catch(() => {});
    await admin.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await resolveTestServices();
  const testRunId = randomBytes(4).toString('hex');
  project.provide('postgresAdminUrl', services.postgresAdminUrl);
  project.provide('redisUrl', services.redisUrl);
  project.provide('testRunId', testRunId);
  project.provide('templateDatabase', await ensureTemplate(services.postgresAdminUrl));

  return async () => {
    // Files drop their own databases; this sweeps what a crashed file left behind.
    const admin = new pg.Client({ connectionString: services.postgresAdminUrl });
    await admin.connect();
    const left = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`ach_t_${testRunId}_%`]);
    for (const row of left.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    await admin.end();
    await services.stop();
  };
}
