import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Counts and percentages are small enough for a JS number; parse them as numbers for this pool
 * only (pg's parsers are process-global otherwise). Ids that do not fit (PSN accountId) are text.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => (value === null ? null : Number(value));
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

export interface CreateDbOptions {
  max?: number;
  applicationName?: string;
  /** Fail a query that waits this long for a connection instead of hanging the caller. */
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
}

export function createPool(url: string, options: CreateDbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'achievement-sync',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    ...(options.statementTimeoutMillis ? { statement_timeout: options.statementTimeoutMillis } : {}),
    types,
  });
  // An idle client that loses its server (Postgres restart) emits 'error'; without a listener that
  // would crash the process. The pool drops the client and the next query reconnects.
  pool.on('error', () => {});
  // The pool listens only while a client is idle: one checked out (a transaction between statements,
  // a query whose answer arrived in the same read as the server's FATAL goodbye) would throw its
  // 'error' out of the process. The caller's next statement fails instead, and the pool discards the
  // client when it comes back (it is no longer queryable).
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function createDb(url: string, options: CreateDbOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, options) }) });
}
