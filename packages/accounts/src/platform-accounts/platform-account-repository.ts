import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, PlatformAccountsTable, PlatformId } from '@ach/db';

/** What the app may see of a link: ids, names, sync state, when the link lapses — never a credential column. */
export const LINKED_ACCOUNT_COLUMNS = [
  'platform_id', 'external_account_id', 'verified', 'display_name', 'avatar_url', 'sync_status', 'sync_progress',
  'last_synced_at', 'last_error_code', 'needs_attention', 'refresh_expires_at', 'created_at', 'updated_at',
] as const satisfies readonly (keyof PlatformAccountsTable)[];
export type LinkedAccountRow = Pick<Selectable<PlatformAccountsTable>, (typeof LINKED_ACCOUNT_COLUMNS)[number]>;
const linkedAccountColumns = sql.join(LINKED_ACCOUNT_COLUMNS.map((c) => sql.ref(c)));

/** What a worker needs of a link to sync it. */
export type SyncAccountRow = Pick<Selectable<PlatformAccountsTable>, 'external_account_id' | 'credentials_ciphertext' | 'credentials_key_id'> & {
  /** Another user holds a verified link of the same platform account: this (unverified) one must not sync. */
  claimed_by_other: boolean;
};

/** Tokens as the credential cipher sealed them; the repository never sees them open. */
export interface SealedCredentials {
  ciphertext: string;
  keyId: string;
}

/** When refreshed tokens stop working; `undefined` leaves the stored instant, `null` clears it. */
export interface CredentialExpiry {
  tokenExpiresAt?: Date | string | null;
  refreshExpiresAt?: Date | string | null;
}

export interface LinkInput {
  userId: string;
  platformId: PlatformId;
  externalAccountId: string;
  displayName: string | null;
  avatarUrl: string | null;
  /** Absent: the platform hands over no tokens (Steam); a relink then clears stored ones. */
  credentials?: SealedCredentials;
  tokenExpiresAt?: Date | string | null;
  refreshExpiresAt?: Date | string | null;
  /** The link proves the user owns the account. */
  verified: boolean;
}

export type LinkOutcome =
  | { kind: 'linked'; account: LinkedAccountRow }
  /** Another user holds a verified link of this account. */
  | { kind: 'ownership_claimed' }
  /** No `public.users` row for the user yet. */
  | { kind: 'profile_missing' };

/** A sync run as the account row mirrors it. */
export interface AccountRunRef {
  syncId: string;
  userId: string;
  platformId: PlatformId;
}

/** The code an account gets when another user proves they own it; also the run failure code for it. */
export const OWNERSHIP_CLAIMED = 'ownership_claimed';

const at = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);

/** The partial unique index of migration 0005: one verified link per platform account. */
const VERIFIED_EXTERNAL_KEY = 'platform_accounts_verified_external_key';

/**
 * An unverified link of an account another user has proven is theirs (Steam sign-in) does not sync:
 * the referee is the other user's verified row, not the flag on this one (a flag can be stale).
 * `alias` names the platform_accounts row being judged in the surrounding statement.
 */
export const ownershipClaimedByOther = (alias: string) => sql<boolean>`exists (
  select 1 from platform_accounts o
   where o.platform_id = ${sql.ref(`${alias}.platform_id`)} and o.external_account_id = ${sql.ref(`${alias}.external_account_id`)}
     and o.verified and o.user_id <> ${sql.ref(`${alias}.user_id`)})`;

/**
 * The account side of a run's progress write, as a statement to put after the run's own CTE (one
 * statement for both tables): only when `runUpdated` holds, and only on the row that points at the run.
 */
export const mirrorRunProgress = (run: AccountRunRef, progress: number, runUpdated: RawBuilder<unknown>) => sql`
  update platform_accounts set sync_progress = ${progress}
   where user_id = ${run.userId} and platform_id = ${run.platformId} and last_sync_id = ${run.syncId}
     and ${runUpdated}`;

export interface PlatformAccountRepository {
  /**
   * Upserts the caller's link and, when it proves ownership (`verified`), flags every other user's
   * unverified link of the same account (`needs_attention`, `ownership_claimed`) — one transaction.
   * Refused (`ownership_claimed`) when another user already holds a verified link: a verified link
   * would break the one-owner rule (the unique index referees races), an unverified one could never
   * sync. Relinking the same account keeps an earlier proof; linking a different one drops it.
   */
  link(input: LinkInput): Promise<LinkOutcome>;
  listForUser(userId: string): Promise<LinkedAccountRow[]>;
  /** Deletes the link and its stored credentials; false when there was none. */
  remove(userId: string, platformId: PlatformId): Promise<boolean>;
  loadForSync(userId: string, platformId: PlatformId): Promise<SyncAccountRow | undefined>;
  /**
   * Tokens a platform refreshed during a sync, with their expiry instants (`token_expires_at`,
   * `refresh_expires_at`); an instant left out (undefined) keeps its stored value.
   */
  saveCredentials(userId: string, platformId: PlatformId, sealed: SealedCredentials, expiry?: CredentialExpiry): Promise<void>;
  /** A worker started the run: the row points at it (no write when it already does). */
  mirrorRunStarted(run: AccountRunRef): Promise<void>;
  mirrorRunSucceeded(run: AccountRunRef): Promise<void>;
  /** Also when the row points at no run yet (the run failed before it started). */
  mirrorRunFailed(run: AccountRunRef, failure: { code: string; needsAttention: boolean }): Promise<void>;
}

/**
 * Every statement on `platform_accounts`. `db` may be a transaction: the run repository mirrors a
 * run's state inside its own.
 */
export function createPlatformAccountRepository(db: Kysely<Database>): PlatformAccountRepository {
  return {
    async link(input) {
      const { userId, platformId, verified } = input;
      try {
        return await db.transaction().execute(async (tx): Promise<LinkOutcome> => {
          const { rows } = await sql<LinkedAccountRow>`
            insert into platform_accounts (user_id, platform_id, external_account_id, display_name, avatar_url,
                                           credentials_ciphertext, credentials_key_id, token_expires_at, refresh_expires_at, verified)
            select ${userId}::uuid, ${platformId}::smallint, ${input.externalAccountId}::text, ${input.displayName}::text,
                   ${input.avatarUrl}::text, ${input.credentials?.ciphertext ?? null}::text, ${input.credentials?.keyId ?? null}::text,
                   ${at(input.tokenExpiresAt)}::timestamptz, ${at(input.refreshExpiresAt)}::timestamptz, ${verified}::boolean
             where ${verified}::boolean or not exists (
                     select 1 from platform_accounts o
                      where o.platform_id = ${platformId}::smallint and o.external_account_id = ${input.externalAccountId}::text
                        and o.verified and o.user_id <> ${userId}::uuid)
            on conflict (user_id, platform_id) do update set
              external_account_id = excluded.external_account_id,
              display_name = excluded.display_name,
              avatar_url = excluded.avatar_url,
              credentials_ciphertext = excluded.credentials_ciphertext,
              credentials_key_id = excluded.credentials_key_id,
              token_expires_at = excluded.token_expires_at,
              refresh_expires_at = excluded.refresh_expires_at,
              verified = excluded.verified
                         or (platform_accounts.verified and platform_accounts.external_account_id = excluded.external_account_id),
              needs_attention = false,
              last_error_code = null
            returning ${linkedAccountColumns}`.execute(tx);
          const row = rows[0];
          if (!row) return { kind: 'ownership_claimed' };
          if (row.verified) {
            await sql`
              update platform_accounts set needs_attention = true, last_error_code = ${OWNERSHIP_CLAIMED}
               where platform_id = ${platformId}::smallint and external_account_id = ${input.externalAccountId}::text
                 and user_id <> ${userId}::uuid and not verified
                 and (needs_attention, last_error_code) is distinct from (true, ${OWNERSHIP_CLAIMED}::text)`.execute(tx);
          }
          return { kind: 'linked', account: row };
        });
      } catch (error) {
        const pg = error as { code?: string; constraint?: string };
        if (pg.code === '23503') return { kind: 'profile_missing' };
        if (pg.code === '23505' && pg.constraint === VERIFIED_EXTERNAL_KEY) return { kind: 'ownership_claimed' };
        throw error;
      }
    },

    async listForUser(userId) {
      return db.selectFrom('platform_accounts').select(LINKED_ACCOUNT_COLUMNS).where('user_id', '=', userId).orderBy('platform_id').execute();
    },

    async remove(userId, platformId) {
      const rows = await db
        .deleteFrom('platform_accounts')
        .where('user_id', '=', userId)
        .where('platform_id', '=', platformId)
        .returning('user_id')
        .execute();
      return rows.length > 0;
    },

    async loadForSync(userId, platformId) {
      return db
        .selectFrom('platform_accounts as pa')
        .select(['pa.external_account_id', 'pa.credentials_ciphertext', 'pa.credentials_key_id'])
        .select(ownershipClaimedByOther('pa').as('claimed_by_other'))
        .where('pa.user_id', '=', userId)
        .where('pa.platform_id', '=', platformId)
        .executeTakeFirst();
    },

    async saveCredentials(userId, platformId, sealed, expiry = {}) {
      await db
        .updateTable('platform_accounts')
        .set({
          credentials_ciphertext: sealed.ciphertext,
          credentials_key_id: sealed.keyId,
          ...(expiry.tokenExpiresAt === undefined ? {} : { token_expires_at: at(expiry.tokenExpiresAt) }),
          ...(expiry.refreshExpiresAt === undefined ? {} : { refresh_expires_at: at(expiry.refreshExpiresAt) }),
        })
        .where('user_id', '=', userId)
        .where('platform_id', '=', platformId)
        .execute();
    },

    async mirrorRunStarted(run) {
      await sql`
        update platform_accounts
           set sync_status = 'running', sync_progress = 0, last_sync_id = ${run.syncId}
         where user_id = ${run.userId} and platform_id = ${run.platformId}
           and (sync_status, sync_progress, last_sync_id) is distinct from ('running', 0, ${run.syncId}::uuid)
      `.execute(db);
    },

    async mirrorRunSucceeded(run) {
      await sql`
        update platform_accounts
           set sync_status = 'succeeded', sync_progress = 100, last_synced_at = now(), last_error_code = null, needs_attention = false
         where user_id = ${run.userId} and platform_id = ${run.platformId} and last_sync_id = ${run.syncId}
      `.execute(db);
    },

    async mirrorRunFailed(run, failure) {
      await sql`
        update platform_accounts
           set sync_status = 'failed', last_error_code = ${failure.code},
               needs_attention = needs_attention or ${failure.needsAttention}
         where user_id = ${run.userId} and platform_id = ${run.platformId}
           and (last_sync_id = ${run.syncId} or last_sync_id is null)
      `.execute(db);
    },
  };
}
