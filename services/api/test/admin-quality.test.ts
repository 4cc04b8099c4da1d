import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SESSION_COOKIE, createAdminSessions } from '../src/auth/admin-session.ts';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/** The admin API: who may call it (admin tokens, the dashboard's session), what it answers, what it refuses. */

const BOARD = { user: 'ops', password: 'ops-board-password-16+' };
/** services/monitor's advisory lock key for quality runs (src/quality/run-lock.ts). */
const QUALITY_RUN_LOCK_KEY = 7_231_013;

let h: ApiHarness;
let noBoard: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ config: { bullBoard: BOARD }, app: { qualityRunLockWaitMs: 300 } });
  noBoard = await createApiHarness({ database: h.database });
});
afterAll(async () => {
  await noBoard?.close();
  await h?.close();
});

const serviceRole = async () => ({ authorization: `Bearer ${await h.token(randomUUID(), { role: 'service_role', email: undefined })}` });
const appAdmin = async () => ({ authorization: `Bearer ${await h.token(randomUUID(), { app_metadata: { role: 'admin' }, email: 'admin@example.test' })}` });
const userToken = async () => ({ authorization: `Bearer ${await h.token(await h.createUser())}` });

/** An auth user without a profile: a signup while on_auth_user_created was disabled. */
async function signUpGhost(email = `ghost-${randomUUID().slice(0, 8)}@example.test`): Promise<string> {
  return h.db.transaction().execute(async (trx) => {
    await sql`alter table auth.users disable trigger on_auth_user_created`.execute(trx);
    const { rows } = await sql<{ id: string }>`insert into auth.users (email) values (${email}) returning id`.execute(trx);
    await sql`alter table auth.users enable trigger on_auth_user_created`.execute(trx);
    return rows[0]!.id;
  });
}
const hasProfile = async (id: string) => (await sql<{ n: number }>`select count(*)::int as n from users where id = ${id}::uuid`.execute(h.db)).rows[0]!.n === 1;

const ADMIN_ROUTES = [
  { method: 'GET', url: '/admin/quality' },
  { method: 'POST', url: '/admin/quality/run' },
  { method: 'GET', url: '/admin/quality/history?days=7' },
  { method: 'POST', url: '/admin/backfill?dryRun=true' },
] as const;

describe('admin routes: who may call them', () => {
  it.each(ADMIN_ROUTES)('$method $url: 401 without a token, 403 forbidden_role for a signed-in user\'s token', async (route) => {
    const anonymous = await h.app.inject({ method: route.method, url: route.url });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect(anonymous.json()).toMatchObject({ code: 'missing_token' });
    const user = await h.app.inject({ method: route.method, url: route.url, headers: await userToken() });
    expect(user.statusCode).toBe(403);
    expect(user.json()).toMatchObject({ status: 403, code: 'forbidden_role' });
    const anon = await h.app.inject({ method: route.method, url: route.url, headers: { authorization: `Bearer ${await h.token(randomUUID(), { role: 'anon' })}` } });
    expect(anon.statusCode).toBe(403);
  });

  it('accepts a token with role service_role and one with app_metadata.role admin', async () => {
    for (const headers of [await serviceRole(), await appAdmin()]) {
      const res = await h.app.inject({ method: 'GET', url: '/admin/quality/history', headers });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ days: 30, items: expect.any(Array) });
    }
  });

  it('user routes refuse both kinds of admin token', async () => {
    for (const headers of [await serviceRole(), await appAdmin()]) {
      for (const route of [{ method: 'GET', url: '/accounts' }, { method: 'POST', url: '/users/sync' }, { method: 'GET', url: '/me/games' }] as const) {
        const res = await h.app.inject({ ...route, headers });
        expect(res.statusCode, `${route.method} ${route.url}`).toBe(403);
        expect(res.json().code).toBe('forbidden_role');
      }
    }
  });
});

describe('GET /admin/quality, POST /admin/quality/run, GET /admin/quality/history', () => {
  it('runs the full check now, then answers it as the latest status and in the history', async () => {
    const fresh = await createApiHarness();
    try {
      const admin = { authorization: `Bearer ${await fresh.token(randomUUID(), { role: 'service_role' })}` };
      const none = await fresh.app.inject({ method: 'GET', url: '/admin/quality', headers: admin });
      expect(none.statusCode).toBe(404);
      expect(none.json()).toMatchObject({ code: 'not_found' });

      const run = await fresh.app.inject({ method: 'POST', url: '/admin/quality/run', headers: admin });
      expect(run.statusCode, run.body).toBe(200);
      const body = run.json();
      expect(body).toMatchObject({ checkType: 'full', status: 'healthy', repairedGhostUsers: [], stuckSyncs: { requeued: [], failed: [] } });
      expect(body.checks.map((c: { name: string }) => c.name)).toEqual([
        'ghost_users', 'auth_triggers', 'auth_users_parity', 'progress_parity', 'orphaned_profiles', 'unresolved_sync_failures',
        'stuck_syncs', 'sync_failure_rate', 'queue_health', 'expiring_refresh_tokens',
      ]);
      expect(body.checks.every((c: { status: string }) => c.status === 'pass')).toBe(true);

      const latest = await fresh.app.inject({ method: 'GET', url: '/admin/quality', headers: admin });
      expect(latest.statusCode).toBe(200);
      expect(latest.json()).toMatchObject({ id: body.id, runAt: body.runAt, checkType: 'full', status: 'healthy', users: { ghosts: 0, orphans: 0 } });
      expect(latest.json().checks).toEqual(body.checks);

      const history = await fresh.app.inject({ method: 'GET', url: '/admin/quality/history?days=1', headers: admin });
      expect(history.json()).toMatchObject({ days: 1, items: [{ id: body.id, status: 'healthy', checkType: 'full', failingChecks: [] }] });
    } finally {
      await fresh.close();
    }
  });

  it('repairs ghost users in the run (MONITOR_AUTO_BACKFILL) and audits them under the admin\'s name', async () => {
    const ghost = await signUpGhost();
    const res = await h.app.inject({ method: 'POST', url: '/admin/quality/run', headers: await appAdmin() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().repairedGhostUsers).toContain(ghost);
    expect(res.json().checks.find((c: { name: string }) => c.name === 'ghost_users')).toMatchObject({ status: 'warn', details: { repaired_ids: expect.arrayContaining([ghost]) } });
    expect(await hasProfile(ghost)).toBe(true);
    const audit = await sql<{ performed_by: string }>`select performed_by from cleanup_audit_log where action = 'backfill_ghost_users' order by id desc limit 1`.execute(h.db);
    expect(audit.rows[0]?.performed_by).toBe('admin:admin@example.test');
  });

  it('answers 409 quality_check_running while another run holds the lock, and runs once it is free', async () => {
    const holder = new pg.Client({ connectionString: h.database.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [QUALITY_RUN_LOCK_KEY]);
      const busy = await h.app.inject({ method: 'POST', url: '/admin/quality/run', headers: await serviceRole() });
      expect(busy.statusCode).toBe(409);
      expect(busy.json()).toMatchObject({ code: 'quality_check_running' });
      expect(busy.headers['retry-after']).toBe('10');
      await holder.query('select pg_advisory_unlock($1)', [QUALITY_RUN_LOCK_KEY]);
      expect((await h.app.inject({ method: 'POST', url: '/admin/quality/run', headers: await serviceRole() })).statusCode).toBe(200);
    } finally {
      await holder.end();
    }
  });

  it.each([
    ['days=0'], ['days=91'], ['days=abc'], ['days=1.5'], ['days=-3'], ['days='], [`days=${'9'.repeat(400)}`],
  ])('history refuses %s with 400 naming querystring.days', async (query) => {
    const res = await h.app.inject({ method: 'GET', url: `/admin/quality/history?${query}`, headers: await serviceRole() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', invalidParams: [expect.objectContaining({ name: 'querystring.days' })] });
  });

  it('history accepts 1–90 days', async () => {
    for (const days of [1, 90]) {
      const res = await h.app.inject({ method: 'GET', url: `/admin/quality/history?days=${days}`, headers: await serviceRole() });
      expect(res.statusCode).toBe(200);
      expect(res.json().days).toBe(days);
    }
  });
});

describe('POST /admin/backfill', () => {
  it('is a dry run unless asked otherwise: lists the ghost users and writes nothing', async () => {
    const ghost = await signUpGhost('dry.run@example.test');
    for (const request of [
      { url: '/admin/backfill' },
      { url: '/admin/backfill?dryRun=true' },
      { url: '/admin/backfill', payload: { dryRun: true } },
      { url: '/admin/backfill', payload: {} },
    ]) {
      const res = await h.app.inject({ method: 'POST', ...request, headers: await serviceRole() });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ dryRun: true, warnings: [], counts: { wouldCreate: 1, created: 0 }, truncated: false });
      expect(res.json().users).toEqual([{ userId: ghost, email: 'dry.run@example.test', authCreatedAt: expect.any(String), action: 'would_create' }]);
    }
    expect(await hasProfile(ghost)).toBe(false);
    // Leave nothing behind for the other tests.
    expect((await h.app.inject({ method: 'POST', url: '/admin/backfill?dryRun=false', headers: await serviceRole() })).statusCode).toBe(200);
  });

  it('repairs with ?dryRun=false or {"dryRun": false}, audited under the admin, idempotent', async () => {
    const first = await signUpGhost();
    const byQuery = await h.app.inject({ method: 'POST', url: '/admin/backfill?dryRun=false', headers: await appAdmin() });
    expect(byQuery.json()).toMatchObject({ dryRun: false, counts: { created: 1, wouldCreate: 0 }, users: [{ userId: first, action: 'created' }] });
    expect(await hasProfile(first)).toBe(true);
    const audit = await sql<{ performed_by: string; affected_count: number }>`
      select performed_by, affected_count from cleanup_audit_log where action = 'backfill_ghost_users' order by id desc limit 1`.execute(h.db);
    expect(audit.rows[0]).toEqual({ performed_by: 'admin:admin@example.test', affected_count: 1 });

    const second = await signUpGhost();
    const byBody = await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: await appAdmin(), payload: { dryRun: false } });
    expect(byBody.json()).toMatchObject({ dryRun: false, counts: { created: 1 }, users: [{ userId: second, action: 'created' }] });
    const again = await h.app.inject({ method: 'POST', url: '/admin/backfill?dryRun=false', headers: await appAdmin() });
    expect(again.json()).toMatchObject({ dryRun: false, counts: { created: 0, wouldCreate: 0, alreadyPresent: 0, failed: 0 }, users: [] });
  });

  it('warns when the signup trigger is disabled', async () => {
    await sql`alter table auth.users disable trigger on_auth_user_created`.execute(h.db);
    try {
      const res = await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: await serviceRole() });
      expect(res.json().warnings).toEqual([expect.stringContaining('on_auth_user_created is disabled')]);
    } finally {
      await sql`alter table auth.users enable trigger on_auth_user_created`.execute(h.db);
    }
  });

  it.each([
    ['?dryRun=yes', undefined, 'validation_failed'],
    ['?dryRun=1', undefined, 'validation_failed'],
    ['?dryRun=', undefined, 'validation_failed'],
    ['', { dryRun: 'false' }, 'validation_failed'],
    ['', { dryRun: false, extra: 1 }, 'validation_failed'],
    ['', [false], 'validation_failed'],
    ['?dryRun=true', { dryRun: false }, 'dry_run_conflict'],
    ['?dryRun=false', { dryRun: true }, 'dry_run_conflict'],
  ])('refuses %s %j with 400 %s and writes nothing', async (query, payload, code) => {
    const ghost = await signUpGhost();
    const res = await h.app.inject({ method: 'POST', url: `/admin/backfill${query}`, headers: await serviceRole(), ...(payload !== undefined ? { payload: payload as object } : {}) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe(code);
    expect(await hasProfile(ghost)).toBe(false);
    await h.app.inject({ method: 'POST', url: '/admin/backfill?dryRun=false', headers: await serviceRole() });
  });
});

describe('the dashboard session on the admin API', () => {
  const signIn = async (password = BOARD.password, ip = '10.9.0.1') => {
    const res = await h.app.inject({
      method: 'POST', url: '/admin/dashboard/sign-in', remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      payload: new URLSearchParams({ user: BOARD.user, password }).toString(),
    });
    return res;
  };
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

  it('signs in with the Bull Board credentials: an HttpOnly, SameSite=Strict, short-lived cookie under /admin', async () => {
    const res = await signIn();
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('../dashboard');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${ADMIN_SESSION_COOKIE}=v1\\.`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(setCookie).toContain('Max-Age=1800');
  });

  it('refuses wrong credentials (401, no cookie) and throttles an address after 10 failures', async () => {
    const wrong = await signIn('wrong-password', '10.9.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body).toContain('Wrong user or password');
    for (let i = 0; i < 9; i++) expect((await signIn('wrong-password', '10.9.0.2')).statusCode).toBe(401);
    const locked = await signIn(BOARD.password, '10.9.0.2');
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['set-cookie']).toBeUndefined();
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Same budget as Bull Board's: the same credentials.
    const board = await h.app.inject({ method: 'GET', url: '/admin/queues', remoteAddress: '10.9.0.2', headers: { authorization: `Basic ${Buffer.from(`${BOARD.user}:${BOARD.password}`).toString('base64')}` } });
    expect(board.statusCode).toBe(429);
    expect((await signIn(BOARD.password, '10.9.0.3')).statusCode).toBe(303);
  });

  it('GETs with the cookie; POSTs only with the session\'s CSRF token and from the same site', async () => {
    const cookie = cookieOf(await signIn());
    expect((await h.app.inject({ method: 'GET', url: '/admin/quality/history', headers: { cookie } })).statusCode).toBe(200);
    const page = await h.app.inject({ method: 'GET', url: '/admin/dashboard', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1];
    expect(csrf).toBeTruthy();

    const without = await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: { cookie } });
    expect(without.statusCode).toBe(403);
    expect(without.json().code).toBe('csrf_failed');
    expect((await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: { cookie, 'x-csrf-token': `${csrf}x` } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: { cookie, 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403);
    // Another session's token does not fit this one.
    const otherPage = await h.app.inject({ method: 'GET', url: '/admin/dashboard', headers: { cookie: cookieOf(await signIn()) } });
    const otherCsrf = /<meta name="csrf-token" content="([^"]+)">/.exec(otherPage.body)![1]!;
    expect(otherCsrf).not.toBe(csrf);
    expect((await h.app.inject({ method: 'POST', url: '/admin/backfill', headers: { cookie, 'x-csrf-token': otherCsrf } })).statusCode).toBe(403);

    const ok = await h.app.inject({ method: 'POST', url: '/admin/backfill?dryRun=true', headers: { cookie, 'x-csrf-token': csrf!, 'sec-fetch-site': 'same-origin' } });
    expect(ok.statusCode).toBe(200);
    const run = await h.app.inject({ method: 'POST', url: '/admin/quality/run', headers: { cookie, 'x-csrf-token': csrf! } });
    expect(run.statusCode).toBe(200);
  });

  it('refuses a tampered, expired or foreign cookie (401), and a cookie where the dashboard is not mounted', async () => {
    const cookie = cookieOf(await signIn());
    const [name, value] = cookie.split('=') as [string, string];
    const parts = value.split('.');
    const tampered = `${name}=${[parts[0], parts[1], String(Number(parts[2]) + 3600), parts[3]].join('.')}`;
    const expired = createAdminSessions({ ...BOARD, secure: false, path: '/admin' }).issue(Date.now() - 31 * 60_000).setCookie.split(';')[0]!;
    const foreign = createAdminSessions({ user: BOARD.user, password: 'another-password-16+', secure: false, path: '/admin' }).issue().setCookie.split(';')[0]!;
    for (const bad of [tampered, expired, foreign, `${name}=garbage`, `${name}=v1.${'A'.repeat(22)}.9999999999.${'A'.repeat(43)}`]) {
      const res = await h.app.inject({ method: 'GET', url: '/admin/quality/history', headers: { cookie: bad } });
      expect(res.statusCode, bad).toBe(401);
      expect((await h.app.inject({ method: 'GET', url: '/admin/dashboard', headers: { cookie: bad } })).statusCode).toBe(303);
    }
    expect((await noBoard.app.inject({ method: 'GET', url: '/admin/quality/history', headers: { cookie } })).statusCode).toBe(401);
  });

  it('signs out: the cookie is cleared (with the CSRF token)', async () => {
    const cookie = cookieOf(await signIn());
    const page = await h.app.inject({ method: 'GET', url: '/admin/dashboard', headers: { cookie } });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)![1]!;
    const refused = await h.app.inject({ method: 'POST', url: '/admin/dashboard/sign-out', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'csrf=nope' });
    expect(refused.statusCode).toBe(403);
    const out = await h.app.inject({ method: 'POST', url: '/admin/dashboard/sign-out', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${encodeURIComponent(csrf)}` });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${ADMIN_SESSION_COOKIE}=;.*Max-Age=0`));
  });
});

describe('/admin/dashboard', () => {
  it('is not mounted without BULL_BOARD_USER / BULL_BOARD_PASSWORD', async () => {
    for (const url of ['/admin/dashboard', '/admin/dashboard/sign-in', '/admin/dashboard/assets/dashboard.js']) {
      expect((await noBoard.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('sends a signed-out browser to the sign-in page; pages carry a strict CSP; assets come from this server', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/admin/dashboard' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('dashboard/sign-in');
    const signIn = await h.app.inject({ method: 'GET', url: '/admin/dashboard/sign-in' });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.headers['content-type']).toContain('text/html');
    expect(signIn.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(signIn.headers['cache-control']).toBe('no-store');
    expect(signIn.body).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")/);
    for (const name of ['uPlot.iife.min.js', 'uPlot.min.css', 'dashboard.js', 'dashboard.css']) {
      const asset = await h.app.inject({ method: 'GET', url: `/admin/dashboard/assets/${name}` });
      expect(asset.statusCode, name).toBe(200);
      expect(asset.headers['content-type']).toMatch(name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    expect((await h.app.inject({ method: 'GET', url: '/admin/dashboard/assets/..%2F..%2Fpackage.json' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/admin/dashboard/assets/app.ts' })).statusCode).toBe(404);
  });
});
