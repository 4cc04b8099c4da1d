import { Database, Model, appSchema, tableSchema, type TableSchema } from '@nozbe/watermelondb';
import * as lokiModule from '@nozbe/watermelondb/adapters/lokijs/index.js';
import type * as LokiTypes from '@nozbe/watermelondb/adapters/lokijs/index.js';
import * as syncModule from '@nozbe/watermelondb/sync/index.js';
import type { synchronize as synchronizeFn } from '@nozbe/watermelondb/sync/index.js';
import * as loggerModule from '@nozbe/watermelondb/utils/common/logger/index.js';

/**
 * A phone, as far as sync goes: the real WatermelonDB (`synchronize()` and its LokiJS adapter, in
 * memory under Node) with the app's schema, talking to the API over HTTP. Each device has its own
 * local database; two devices of one user are two of these.
 */

// CommonJS modules built by Babel: under Node's ESM loader the export sits on `default`.
const interop = <T,>(module: unknown, name: string): T => {
  const m = module as Record<string, unknown> & { default?: Record<string, unknown> };
  return (m[name] ?? m.default?.[name] ?? (name === 'default' ? m.default?.default ?? m.default : undefined)) as T;
};
const LokiJSAdapter = interop<typeof LokiTypes.default.default>(lokiModule, 'default');
const synchronize = interop<typeof synchronizeFn>(syncModule, 'synchronize');
const logger = interop<{ log: (...a: unknown[]) => void; warn: (...a: unknown[]) => void; error: (...a: unknown[]) => void; debug: (...a: unknown[]) => void }>(loggerModule, 'default');

/** What WatermelonDB reports as errors ("[Sync] Server wants client to create record … but it already exists") lands here. */
export const watermelonErrors: string[] = [];
logger.log = () => {};
logger.debug = () => {};
logger.warn = () => {};
logger.error = (...messages: unknown[]) => {
  watermelonErrors.push(messages.map((m) => (m instanceof Error ? m.message : String(m))).join(' '));
};

const text = (name: string, isOptional = false) => ({ name, type: 'string' as const, isOptional });
const num = (name: string, isOptional = false) => ({ name, type: 'number' as const, isOptional });
const bool = (name: string) => ({ name, type: 'boolean' as const });
const times = [num('created_at'), num('updated_at')];

/** The app's schema for the synced tables (docs/client-sync.md lists the same columns). */
export const APP_TABLES: TableSchema[] = [
  tableSchema({ name: 'user_profile', columns: [text('email', true), bool('email_verified'), text('username'), text('display_name', true), text('avatar_url', true), num('sync_version', true), ...times] }),
  tableSchema({
    name: 'platform_accounts',
    columns: [num('platform_id'), text('external_account_id'), text('display_name', true), text('avatar_url', true), bool('verified'), text('sync_status'),
      num('sync_progress'), text('last_sync_id', true), num('last_synced_at', true), text('last_error_code', true), bool('needs_attention'),
      num('token_expires_at', true), num('refresh_expires_at', true), ...times],
  }),
  tableSchema({ name: 'games', columns: [num('platform_id'), text('platform_game_id'), text('name'), text('icon_url', true), num('achievements_total'), text('platform_specific_data'), ...times] }),
  tableSchema({
    name: 'achievements',
    columns: [{ ...text('game_id'), isIndexed: true }, text('platform_achievement_id'), text('name'), text('description', true),
      text('icon_url', true), text('icon_locked_url', true), bool('hidden'), num('points', true), text('type', true), num('rarity_percentage', true),
      text('platform_specific_data'), ...times],
  }),
  tableSchema({
    name: 'user_progress',
    columns: [{ ...text('game_id'), isIndexed: true }, num('platform_id'), text('platform_game_id'), num('achievements_total'), num('achievements_earned'),
      num('points_earned', true), num('points_total', true), num('completion_percentage'), num('playtime_minutes', true), num('last_played_at', true),
      text('platform_specific_data'), ...times],
  }),
  tableSchema({
    name: 'user_achievements',
    columns: [{ ...text('achievement_id'), isIndexed: true }, text('game_id'), text('platform_achievement_id'),
      num('earned_at', true), ...times],
  }),
  tableSchema({
    name: 'sync_logs',
    columns: [num('platform_id'), text('mode'), text('status'), num('progress'), text('stats'), text('error_code', true), text('error_message', true),
      num('started_at', true), num('finished_at', true), ...times],
  }),
  tableSchema({
    name: 'trophy_help_requests',
    columns: [text('profile_id'), num('platform_id'), text('platform_game_id'), text('platform_achievement_id', true), text('message', true), text('status'), num('sync_version', true), ...times],
  }),
  tableSchema({ name: 'flex_room_data', columns: [text('profile_id'), text('showcase'), num('sync_version', true), ...times] }),
];

export const schema = appSchema({ version: 1, tables: APP_TABLES });

/** Models without decorators: tests read `_raw` and write through `_setRaw`. */
const modelClasses = APP_TABLES.map(({ name }) => class extends Model {
  static override table = name;
});

export class SyncHttpError extends Error {
  readonly status: number;
  readonly body: { code?: string; [key: string]: unknown };
  constructor(status: number, body: { code?: string; [key: string]: unknown }) {
    super(`HTTP ${status} ${body.code ?? ''}`);
    this.name = 'SyncHttpError';
    this.status = status;
    this.body = body;
  }
}

export interface Device {
  database: Database;
  /**
   * One WatermelonDB sync (pull, then push of local changes); rejects with SyncHttpError on a
   * refusal. Like the app, it retries a 409 `conflict` (pull again, push again) unless told not to:
   * a deletion is judged by the watermark, which waits for every transaction running at the pull.
   */
  sync: (options?: { afterPull?: () => Promise<void>; retryConflicts?: boolean }) => Promise<void>;
  /** Local raw records of a table, by id (WatermelonDB bookkeeping `_status`/`_changed` included). */
  records: (table: string) => Promise<Map<string, Record<string, unknown>>>;
  create: (table: string, fields: Record<string, unknown>) => Promise<string>;
  update: (table: string, id: string, fields: Record<string, unknown>) => Promise<void>;
  /** markAsDeleted: the deletion is pushed at the next sync. */
  remove: (table: string, id: string) => Promise<void>;
  requests: { pull: number; push: number };
}

let devices = 0;

export function createDevice(api: { url: string; token: () => Promise<string> }): Device {
  devices += 1;
  const adapter = new LokiJSAdapter({
    schema,
    dbName: `device-${devices}`,
    // Node: no web worker, and no IndexedDB (the adapter then keeps the database in memory).
    useWebWorker: false,
    useIncrementalIndexedDB: true,
    extraLokiOptions: { autosave: false },
    onSetUpError: (error: Error) => {
      throw error;
    },
  });
  const database = new Database({ adapter, modelClasses });
  const requests = { pull: 0, push: 0 };

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await api.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new SyncHttpError(res.status, json);
    return json;
  };

  const find = (table: string, id: string) => database.get(table).find(id);

  const syncOnce = (afterPull?: () => Promise<void>) =>
    synchronize({
      database,
      sendCreatedAsUpdated: true,
      pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
        requests.pull += 1;
        const { changes, timestamp } = await post('/sync-pull', { lastPulledAt: lastPulledAt ?? null, schemaVersion, migration: migration ?? null });
        await afterPull?.();
        return { changes: changes as never, timestamp: timestamp as number };
      },
      pushChanges: async ({ changes, lastPulledAt }) => {
        requests.push += 1;
        await post('/sync-push', { changes, lastPulledAt });
      },
    });

  return {
    database,
    requests,
    sync: async (options = {}) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await syncOnce(options.afterPull);
          return;
        } catch (error) {
          const conflict = error instanceof SyncHttpError && error.body.code === 'conflict';
          if (!conflict || options.retryConflicts === false || attempt >= 120) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    records: async (table) => {
      const all = await database.get(table).query().fetch();
      return new Map(all.map((m) => [m.id, { ...(m._raw as unknown as Record<string, unknown>) }]));
    },
    create: async (table, fields) => {
      let id = '';
      await database.write(async () => {
        const record = await database.get(table).create((r) => {
          if (typeof fields.id === 'string') (r._raw as unknown as Record<string, unknown>).id = fields.id;
          for (const [key, value] of Object.entries(fields)) if (key !== 'id') r._setRaw(key, value as never);
        });
        id = record.id;
      });
      return id;
    },
    update: async (table, id, fields) => {
      const record = await find(table, id);
      await database.write(async () => {
        await record.update((r) => {
          for (const [key, value] of Object.entries(fields)) r._setRaw(key, value as never);
        });
      });
    },
    remove: async (table, id) => {
      const record = await find(table, id);
      await database.write(async () => {
        await record.markAsDeleted();
      });
    },
  };
}
