import { z } from 'zod';
import { databaseEnv, parseEnvOrExit } from '@ach/config';
import { createDb } from './create-db.ts';
import { migrateDown, migrateToLatest, migrationStatus } from './migrator.ts';

const command = z.enum(['up', 'down', 'status']).safeParse(process.argv[2]);
if (!command.success) {
  console.error('usage: cli.ts up|down|status');
  process.exit(64);
}
const env = parseEnvOrExit(databaseEnv);
const db = createDb(env.DATABASE_URL, { max: 2, applicationName: 'achievement-sync-migrate' });

try {
  if (command.data === 'status') {
    for (const m of await migrationStatus(db)) {
      console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}`);
    }
  } else {
    const result = command.data === 'up' ? await migrateToLatest(db, env.DATABASE_URL) : await migrateDown(db, env.DATABASE_URL);
    const applied = result.results ?? [];
    if (applied.length === 0) console.log(command.data === 'up' ? 'database is up to date' : 'nothing to revert');
    for (const r of applied) console.log(`${r.direction === 'Up' ? 'applied' : 'reverted'}  ${r.migrationName}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
