/**
 * What each root `npm run` script is for. The scripts themselves (and what they run) come from
 * package.json; a script without an entry here fails `npm run docs:reference`.
 */
export const COMMAND_DESCRIPTIONS: Readonly<Record<string, string>> = {
  test: 'Every test file (real Postgres and Redis: Testcontainers when a Docker engine answers, else `TEST_DATABASE_URL` / `TEST_REDIS_URL`). One file: `npx vitest run <path>`.',
  'test:reliability': 'The reliability suite (reliability/README.md): each file starts a private Postgres cluster, Redis and every service as its own process on free ports, then kills, restarts, floods or faults them and checks nothing accepted is lost. Never touches the shared servers. One file: `npx vitest run --config reliability/vitest.config.ts <path>`.',
  lint: 'ESLint over the repository (includes the rule that keeps kysely\'s `sql` inside repository modules).',
  typecheck: 'TypeScript over every workspace, no emit (Node runs the `.ts` files directly).',
  bench: 'Benchmarks: every scenario, or the ones named (`npm run bench sync-engine-write`); each figure beside a baseline measured in the same run. Nothing is asserted. Each scenario\'s latest result is merged into `bench/results/latest.json` and `latest.md`; `-- --readme` (or a full run at `BENCH_SCALE=1`) puts the table into README.md, `-- --report-only` re-renders without running (bench/README.md).',
  'db:migrate': 'Apply pending migrations to `DATABASE_URL` (session advisory lock: safe to run from several containers at once).',
  'db:migrate:down': 'Revert the last applied migration.',
  'db:status': 'List migrations and whether each is applied.',
  'docs:reference': 'Regenerate this file from the code; `-- --check` only compares and exits 1 when it is out of date.',
  demo: 'The whole system locally: migrates `DATABASE_URL`, starts the sandbox, the API, the workers and the monitor, links and syncs a demo user, prints the dashboard and API URLs, and runs until Ctrl-C. When `DATABASE_URL` / `REDIS_URL` does not answer and `initdb`+`pg_ctl` / `redis-server` are installed, it starts a throwaway server instead (says so; deleted on exit); otherwise it fails naming the variable.',
  token: 'A user access token for local use: `npm run -s token -- <email>` signs up that e-mail in `DATABASE_URL` when absent and prints an HS256 token (`SUPABASE_JWT_SECRET`, `JWT_AUDIENCE`, `JWT_ISSUER`) valid for 12 h.',
  'start:api': 'The API in the foreground.',
  'start:worker-psn': 'The PSN worker in the foreground.',
  'start:worker-xbox': 'The Xbox worker in the foreground.',
  'start:worker-steam': 'The Steam worker in the foreground.',
  'start:monitor': 'The monitor in the foreground.',
  'start:sandbox': 'The platform sandbox in the foreground.',
};

/** Scripts every workspace (or every service) has, for `npm run <script> -w <workspace>`. */
export const WORKSPACE_SCRIPT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  lint: 'ESLint over the workspace.',
  typecheck: 'TypeScript (the root tsconfig).',
  test: 'The workspace\'s own test files.',
  start: 'Start the service (`node src/main.ts` or `src/server.ts`).',
};
