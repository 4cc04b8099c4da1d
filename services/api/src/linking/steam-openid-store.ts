import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '@ach/queue';
import { z } from 'zod';

/** How long a started Steam sign-in can be completed. */
export const STEAM_OPENID_STATE_TTL_SECONDS = 10 * 60;
/** Longer than the oldest response nonce the client accepts (5 min + 1 min of clock skew). */
const NONCE_TTL_SECONDS = 10 * 60;

/** 32 random bytes, base64url: what `state` looks like on the callback. */
export const steamOpenIdStateSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export interface SteamOpenIdStore {
  /** A new one-time state bound to the user. */
  issueState(userId: string): Promise<string>;
  /** The user the state was issued to, once: GETDEL, so a replayed callback finds nothing. */
  consumeState(state: string): Promise<string | undefined>;
  /** True the first time a provider's response nonce is seen, false on every replay. */
  claimNonce(opEndpoint: string, responseNonce: string): Promise<boolean>;
}

const sha = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * The server side of a Steam sign-in, in Redis under the queue prefix: `<prefix>:steam-openid:state:<state>`
 * → user id (10 min), and `<prefix>:steam-openid:nonce:<sha256(op endpoint + nonce)>` for used nonces.
 * The callback carries no bearer token: the state is what binds it to the user who started it.
 */
export function createSteamOpenIdStore(redis: RedisClient, prefix: string): SteamOpenIdStore {
  const stateKey = (state: string) => `${prefix}:steam-openid:state:${state}`;
  return {
    async issueState(userId) {
      const state = randomBytes(32).toString('base64url');
      await redis.set(stateKey(state), userId, 'EX', STEAM_OPENID_STATE_TTL_SECONDS);
      return state;
    },
    async consumeState(state) {
      const userId = await redis.getdel(stateKey(state));
      const parsed = z.uuid().safeParse(userId);
      return parsed.success ? parsed.data : undefined;
    },
    async claimNonce(opEndpoint, responseNonce) {
      const set = await redis.set(`${prefix}:steam-openid:nonce:${sha(`${opEndpoint}\n${responseNonce}`)}`, '1', 'EX', NONCE_TTL_SECONDS, 'NX');
      return set === 'OK';
    },
  };
}
