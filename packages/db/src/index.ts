export * from './database.ts';
export type { Platform } from './platforms.ts';
export { createDb, createPool, type CreateDbOptions } from './create-db.ts';
export { migrateDown, migrateToEmpty, migrateToLatest, migrationStatus, MIGRATION_SCHEMA, MIGRATIONS_DIR } from './migrator.ts';
export { pingDatabase } from './ping-database.ts';
