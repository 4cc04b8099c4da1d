/**
 * What each environment variable does, in the words of the person who sets it. Names, defaults,
 * rules and readers come from the zod schemas (scan/process-env-schemas.ts); only the meaning is
 * written here. A variable a schema reads without an entry here fails `npm run docs:reference`.
 */
export const ENV_DESCRIPTIONS: Readonly<Record<string, string>> = {
  DATABASE_URL: 'Postgres connection string (a Supabase project: its session pooler or direct connection, port 5432).',
  REDIS_URL: 'Redis connection string (`rediss://` for TLS): queues, rate limits, idempotency keys, live progress. One host is a single server; a Redis Cluster is several comma-separated nodes (`redis://h1:7000,h2:7001`) or one seed with `?cluster=true` (credentials and TLS apply to every node; database 0 only).',
  QUEUE_PREFIX: 'Prefix of every Redis key and BullMQ queue of this deployment. On a Redis Cluster it must contain a hash tag (`{ach}`) so every key shares one slot, or the process refuses to start. Every process of one deployment must use the same one.',
  LOG_LEVEL: 'pino log level.',
  CREDENTIALS_ENCRYPTION_KEY: 'AES-256-GCM key for stored platform tokens: 32 random bytes, base64 (`openssl rand -base64 32`).',
  CREDENTIALS_ENCRYPTION_OLD_KEYS: 'Retired keys (comma-separated) still accepted for reading, so the key can be rotated without downtime (new writes use `CREDENTIALS_ENCRYPTION_KEY`).',
  PORT: 'Port the API listens on.',
  HOST: 'Address the API binds to (`0.0.0.0` in a container).',
  SUPABASE_JWT_SECRET: 'Supabase project JWT secret: verifies HS256 access tokens.',
  SUPABASE_JWKS_URL: 'JWKS of the Supabase project (`https://<project>.supabase.co/auth/v1/.well-known/jwks.json`): verifies RS256 / ES256 access tokens.',
  JWT_AUDIENCE: 'Required `aud` of access tokens.',
  JWT_ISSUER: 'Required `iss` of access tokens, when set (`https://<project>.supabase.co/auth/v1`).',
  BULL_BOARD_USER: 'Bull Board (`/admin/queues`) basic-auth user; with `BULL_BOARD_PASSWORD` it mounts the board, without it the board is not mounted. 10 wrong logins from one address → 429 for 15 min.',
  BULL_BOARD_PASSWORD: 'Bull Board basic-auth password.',
  AUTH_WEBHOOK_SECRET: 'Shared secret of the Supabase Database Webhook on `auth.users` (`x-webhook-secret` header or `Authorization: Bearer`); unset, `POST /webhooks/auth-users` answers 404. 10 wrong secrets from one address → 429 for 15 min.',
  METRICS_TOKEN: 'When set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (else 401); unset, `/metrics` is public (keep it on an internal network).',
  SSE_MAX_STREAMS_PER_USER: 'Live-progress streams one user may have open at once across replicas; beyond it 429 `too_many_streams`.',
  SSE_MAX_STREAM_LIFETIME_MS: 'A live-progress stream then ends with a `reconnect` event and the client opens a new one.',
  SYNC_RATE_LIMIT_PER_MINUTE: 'Sync requests (`POST /sync/:platform`) one user may make per minute, across replicas (counted in Redis); beyond it 429 `rate_limited`.',
  LINK_RATE_LIMIT_PER_MINUTE: 'Account-linking requests (link, relink, Steam sign-in start) one user may make per minute, across replicas; beyond it 429 `rate_limited`.',
  CLIENT_SYNC_RATE_LIMIT_PER_MINUTE: 'Mobile client sync requests (pull and push) one user may make per minute, across replicas; beyond it 429 `rate_limited`.',
  SSE_RATE_LIMIT_PER_MINUTE: 'Live-progress streams one user may open per minute, across replicas (reconnect storms); beyond it 429 `rate_limited`.',
  STEAM_OPENID_BASE_URL: 'Steam\'s OpenID 2.0 provider (`/openid/login` is appended): the Steam sign-in that proves a user owns a SteamID.',
  PUBLIC_BASE_URL: 'Where browsers reach the API (a path prefix is fine): return URL (`<PUBLIC_BASE_URL>/accounts/steam/openid/callback`) and realm of the Steam sign-in; the `servers` URL of `/openapi.json`.',
  PSN_AUTH_BASE_URL: 'PSN sign-in host (NPSSO → authorization code → tokens).',
  PSN_API_BASE_URL: 'PSN trophy and profile API host.',
  XBOX_CLIENT_ID: 'The Microsoft app the user\'s refresh token was issued to, used to refresh it; unset, Xbox links answer 503 `platform_misconfigured`.',
  XBOX_MSA_BASE_URL: 'Microsoft account token host (refresh token → access token).',
  XBOX_USER_AUTH_BASE_URL: 'Xbox Live user authentication host (user token).',
  XBOX_XSTS_BASE_URL: 'Xbox Live XSTS authorization host (XSTS token; its refusals become the `xbox_*` codes).',
  XBOX_ACHIEVEMENTS_BASE_URL: 'Xbox Live achievements host.',
  XBOX_TITLEHUB_BASE_URL: 'Xbox Live titlehub host (the title list).',
  XBOX_PROFILE_BASE_URL: 'Xbox Live profile host (gamertag, avatar).',
  STEAM_API_KEY: 'Steam Web API key (https://steamcommunity.com/dev/apikey). Without it the API answers Steam links with 503 `platform_misconfigured`; worker-steam does not start.',
  STEAM_API_BASE_URL: 'Steam Web API host.',
  STEAM_RATE_LIMIT_PER_SECOND: 'Steam calls per second across all worker-steam replicas (a shared Redis token bucket).',
  PSN_RATE_LIMIT_MAX: 'PSN trophy API calls per window per PSN account, across all worker-psn replicas (a Redis sliding-window log).',
  PSN_RATE_LIMIT_WINDOW_MS: 'Length of the PSN call window.',
  XBOX_RATE_LIMIT_MAX: 'Xbox Live calls per account in the burst window (Microsoft\'s documented budget), across all worker-xbox replicas (a Redis sliding log).',
  XBOX_RATE_LIMIT_WINDOW_MS: 'Length of the Xbox burst window.',
  XBOX_RATE_LIMIT_SUSTAIN_MAX: 'Xbox Live calls per account in the sustained window; both windows count at once.',
  XBOX_RATE_LIMIT_SUSTAIN_WINDOW_MS: 'Length of the Xbox sustained window.',
  WORKER_CONCURRENCY: 'Jobs one worker process runs at once.',
  SYNC_GAME_CONCURRENCY: 'Games fetched at once within one job.',
  SYNC_WRITE_BATCH_ROWS: 'Rows (definitions + unlocks) gathered before one write transaction (a batch is also cut at 50 titles).',
  SHUTDOWN_GRACE_MS: 'How long SIGTERM waits for running jobs before handing them back to the queue (another replica reruns them to the same end state).',
  WORKER_HEARTBEAT_FILE: 'A worker\'s health for a container check (it has no HTTP port): a file holding the time (ms) of the last beat, rewritten while Redis and Postgres answer and removed on shutdown; healthy = written recently. Unset, no file.',
  WORKER_HEARTBEAT_EVERY_MS: 'How often the heartbeat checks Redis and Postgres and rewrites `WORKER_HEARTBEAT_FILE`.',
  MONITOR_CRON: 'When the full quality check runs (cron pattern, in `MONITOR_TZ`); it must have a next run in that time zone.',
  MONITOR_TZ: 'Time zone of `MONITOR_CRON` (IANA name).',
  MONITOR_INCREMENTAL_EVERY_MS: 'Interval of the incremental quality check (recent signups and syncs, re-checks of open findings).',
  MONITOR_AUTO_BACKFILL: 'Repair ghost users as soon as a check finds them (audited in `cleanup_audit_log`).',
  MONITOR_STUCK_SYNC_AFTER_MS: 'A queued/running sync quiet this long with no live job is re-enqueued once, then closed as failed (`internal_error`).',
  MONITOR_QUEUE_MAX_WAIT_MS: 'A sync job waiting longer than this makes the queue-health check warn.',
  MONITOR_METRICS_PORT: 'Port of the monitor\'s own HTTP server (`/health`, `/ready`, `/metrics`).',
  MONITOR_METRICS_HOST: 'Address the monitor\'s HTTP server binds to.',
  ALERT_WEBHOOK_URL: 'Slack-compatible incoming webhook: `{ text, blocks }` on a change of overall status. Unset: alerts are only logged.',
  ALERT_SMTP_URL: 'Alert e-mail server: `smtp://user:pass@host:587` (STARTTLS) or `smtps://…:465`. Set together with `ALERT_EMAIL_TO` and `ALERT_EMAIL_FROM` (all three or none).',
  ALERT_EMAIL_TO: 'Alert e-mail recipients, comma-separated (needs `ALERT_SMTP_URL`).',
  ALERT_EMAIL_FROM: 'Alert e-mail sender, `address` or `Name <address>` (needs `ALERT_SMTP_URL`).',
  ALERT_REPEAT_AFTER_MS: 'The same alert is not sent again sooner; a status still unhealthy after it is reminded.',
  SANDBOX_PORT: 'Port of the platform sandbox.',
  SANDBOX_HOST: 'Address the platform sandbox binds to.',
  SANDBOX_STEAM_API_KEYS: 'Steam Web API keys the sandbox accepts, comma-separated.',
};

/**
 * Rules that tie variables together (`superRefine` in a schema): code, so they are written here.
 * Each names the variables it is about; `npm run docs:reference` checks that they still exist.
 */
export const ENV_COMBINED_RULES: readonly { variables: readonly string[]; process: string; rule: string }[] = [
  { variables: ['SUPABASE_JWT_SECRET', 'SUPABASE_JWKS_URL'], process: 'api', rule: 'At least one must be set (both may be: HS256 and asymmetric tokens are then accepted).' },
  { variables: ['BULL_BOARD_USER', 'BULL_BOARD_PASSWORD'], process: 'api', rule: 'Bull Board is mounted only when both are set.' },
  { variables: ['ALERT_SMTP_URL', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM'], process: 'monitor', rule: 'All three or none.' },
  { variables: ['MONITOR_CRON', 'MONITOR_TZ'], process: 'monitor', rule: 'The pattern must have a next run in the time zone.' },
];

/**
 * Variables read straight from `process.env`, outside any schema (tests, bench, demo, V8 flags), and
 * the ones only `docker compose` reads. The readers are found by scanning the code; this says why.
 */
export const UNSCHEMATIZED_ENV_DESCRIPTIONS: Readonly<Record<string, string>> = {
  WORKER_V8_OPTIMIZE_FOR_SIZE: 'Every worker runs V8 with `--optimize-for-size` (`@ach/sync-engine/heap-profile`, the first import of its main.ts: lower peak RSS at about the same wall time) unless this is `false`.',
  TEST_DATABASE_URL: 'Tests (when no Docker engine answers) and the bench: superuser URL of the Postgres the tests create their databases in (default `postgres://root@127.0.0.1:5432/test`; the bench uses `…/postgres`).',
  TEST_REDIS_URL: 'Tests and the bench: the Redis to use (default `redis://127.0.0.1:6379`); each test file gets a key prefix of its own.',
  TESTCONTAINERS_DISABLED: 'Tests: `true` never tries Testcontainers, even when a Docker engine answers (then `TEST_DATABASE_URL` / `TEST_REDIS_URL`).',
  DOCKER_HOST: 'Tests: the Docker engine Testcontainers would use.',
  PG_BIN: 'Tests that start a private Postgres, and the demo\'s throwaway one: the folder with `initdb` / `pg_ctl` (default: the newest `/usr/lib/postgresql/<version>/bin`, else `PATH`).',
  TEST_LOG_LEVEL: 'Monitor tests: log level of the monitor under test (default `silent`).',
  BENCH_DATABASE_URL: 'Bench: superuser URL of the Postgres the scenarios create their databases in (else `TEST_DATABASE_URL`).',
  BENCH_REDIS_URL: 'Bench: the Redis to use (else `TEST_REDIS_URL`).',
  BENCH_SCALE: 'Bench: scale factor of the data sizes (default 1; smaller for a quick smoke run).',
  BENCH_JSON: 'Bench: also print every result as JSON at the end.',
  BENCH_CPU_PROF: 'Bench `api-sync-throughput`: write V8 CPU profiles of both servers into this folder.',
  BENCH_LOG_LEVEL: 'Bench `api-sync-throughput`: log level of both servers (default `warn`).',
  POSTGRES_PASSWORD: '`docker compose` only: password of its Postgres container (hex: it goes into `DATABASE_URL`).',
  REDIS_PASSWORD: '`docker compose` only: password of its Redis container (hex: it goes into `REDIS_URL`).',
};
