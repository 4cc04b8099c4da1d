import type { z } from 'zod';
import type { Platform, PlatformId } from '@ach/db';
import type { WorkerPlatform } from '@ach/sync-engine';

export type { AdapterDeps, ClientHooks } from '@ach/sync-engine';

/** What a platform says about the account a user just proved they own (or named, for Steam). */
export interface LinkedAccount {
  externalAccountId: string;
  displayName: string | null;
  avatarUrl: string | null;
  /** Tokens to keep for the worker; sealed before they touch the database, never returned. */
  credentials?: object;
  tokenExpiresAt?: Date | string | null;
  refreshExpiresAt?: Date | string | null;
}

/** `PUT /accounts/<slug>`: the body the route validates and the function that proves the account. */
export interface PlatformLinking<Env, Body = unknown> {
  /** zod schema of the request body; a body it refuses is a 400 naming the field. */
  readonly bodySchema: z.ZodType<Body>;
  /** One line for the API description. */
  readonly summary: string;
  /** True when the link itself proves the user owns the account (tokens only the owner can get). */
  readonly provesOwnership: boolean;
  /** Throws `PlatformError` on refusal (the API maps it to 422 / 429 / 502 / 503). */
  link(body: Body, deps: { env: Env }): Promise<LinkedAccount>;
}

/**
 * Everything the system knows about one platform, in one place: who it is, its queue, its
 * environment piece, its client, its adapter (the worker side, see `WorkerPlatform` in
 * @ach/sync-engine) and how an account is linked. `Env` is what the `env` piece parses to (shared by
 * the API and the worker), `WorkerEnv` the worker's view (`env` + `workerEnv`).
 */
export interface PlatformModule<Env = unknown, Client = unknown, WorkerEnv = Env> extends WorkerPlatform<Env, Client, WorkerEnv> {
  /** `platforms.id` (smallint): a migration inserts the row. */
  readonly id: PlatformId;
  /** Route segment, job payload, metrics label; `[a-z][a-z0-9-]*`. */
  readonly slug: Platform;
  /** What users read ("PlayStation Network"). */
  readonly displayName: string;
  /** `PUT /accounts/<slug>`; absent → the platform cannot be linked through the API. */
  readonly linking?: PlatformLinking<Env>;
}
