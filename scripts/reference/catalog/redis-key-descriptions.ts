/**
 * What each family of Redis keys holds, by its first segment after the prefix. The key patterns
 * themselves are read from the code; a family without an entry fails `npm run docs:reference`.
 */
export const REDIS_KEY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'sync-events': 'Pub/sub channel of one user\'s run events (workers and the monitor\'s sweep publish, the API\'s SSE streams subscribe).',
  'rate-limit': 'Per-user request counters of the API\'s rate limits; each platform\'s call budget shared by every worker replica (`rate-limit:<slug>`: a token bucket, or sliding-window logs per account).',
  'auth-failures': 'Failed Bull Board logins / webhook secrets per client address (10 in 15 min → 429).',
  'sse-streams': 'Live-progress streams a user has open (sorted set of stream ids with expiry), capped by `SSE_MAX_STREAMS_PER_USER` across replicas.',
  'steam-openid': 'One-time Steam sign-in states (bound to the user who started it) and used assertion nonces.',
  'sync-run-written': 'Titles an earlier attempt of the same run already wrote, so a rerun (killed worker, delayed or retried job) fetches only the rest; expires 3 days after its last write.',
  idempotency: 'The answer to a `POST /sync/{platform}` with an `Idempotency-Key` (by user and a hash of the key), for 24 h.',
};
