import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ach/testing';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core): sign-in, the status
 * card, the chart drawn on its canvas, "run check now" updating the checks table, the backfill dry
 * run, and a non-admin refused. Screenshots land in test-artifacts/ (gitignored) for a look.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const BOARD = { user: 'ops', password: 'ops-board-password-16+' };

let database: TestDatabase;
let h: ApiHarness;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (bash .ci/run does), or set CHROMIUM_PATH`);
  database = await createTestDatabase();
  h = await createApiHarness({
    database,
    config: {
      bullBoard: BOARD,
      // Ghost users stay until a backfill: "run check now" must show them.
      quality: { databaseUrl: database.url, settings: { autoBackfill: false, stuckSyncAfterMs: 1_800_000, queueMaxWaitMs: 900_000 } },
    },
  });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(ARTIFACTS, { recursive: true });

  // 30 days of history, one run every 6 hours, with a few warnings and one critical day.
  await sql`
    insert into user_sync_monitoring_log (run_at, check_type, status, checks, ghost_users, orphaned_profiles, total_auth_users, total_public_users, duration_ms)
    select now() - make_interval(hours => 6 * i) - interval '1 hour', case when i % 4 = 0 then 'full' else 'incremental' end,
           s.status,
           jsonb_build_object('ghost_users', jsonb_build_object('status', case when s.status = 'critical' then 'fail' else 'pass' end, 'severity', 'critical',
                                                                 'observed_value', case when s.status = 'critical' then 3 else 0 end, 'details', '{}'::jsonb),
                              'orphaned_profiles', jsonb_build_object('status', case when s.status = 'warning' then 'warn' else 'pass' end, 'severity', 'warning',
                                                                       'observed_value', case when s.status = 'warning' then 2 else 0 end, 'details', '{}'::jsonb)),
           case when s.status = 'critical' then 3 else 0 end, case when s.status = 'warning' then 2 else 0 end, 1000 + i, 1000 + i, 40
      from generate_series(1, 119) i
      cross join lateral (select case when i between 40 and 43 then 'critical' when i % 9 = 0 then 'warning' else 'healthy' end as status) s`.execute(h.db);
  // A recorded run that passes, then a ghost user it does not know about yet.
  const run = await h.app.inject({ method: 'POST', url: '/admin/quality/run', headers: { authorization: `Bearer ${await h.token(randomUUID(), { role: 'service_role' })}` } });
  expect(run.statusCode, run.body).toBe(200);
  expect(run.json().status).toBe('healthy');
  await h.db.transaction().execute(async (trx) => {
    await sql`alter table auth.users disable trigger on_auth_user_created`.execute(trx);
    await sql`insert into auth.users (email) values ('ghost@example.test')`.execute(trx);
    await sql`alter table auth.users enable trigger on_auth_user_created`.execute(trx);
  });
  // Some syncs of the last day for the figures.
  const user = await h.createUser();
  await h.linkAccount(user, 'steam');
  await sql`insert into sync_logs (user_id, platform_id, mode, status, finished_at, error_code)
            values (${user}::uuid, 3, 'full', 'succeeded', now(), null), (${user}::uuid, 3, 'incremental', 'failed', now(), 'platform_unavailable')`.execute(h.db);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await database?.drop();
});

async function signIn(page: Page, password = BOARD.password) {
  await page.fill('input[name="user"]', BOARD.user);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
}

/**
 * Pixels the chart drew: uPlot paints on a canvas, so an empty canvas means no chart. (Browser-side
 * code as text: this project's TypeScript has no DOM types.)
 */
const PAINTED_PIXELS = `(() => {
  const canvas = document.querySelector('#history-chart canvas');
  if (!canvas || canvas.width === 0) return 0;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
})()`;
const paintedPixels = (page: Page) => page.evaluate<number>(PAINTED_PIXELS);

/** Elements wider than a 390 px screen, outside the tables' own scroll areas. */
const OVERFLOWING = `[...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > 391 && !el.closest('.table-wrap'))
  .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
  .slice(0, 10)`;

const checkStatus = (page: Page, check: string) => page.locator(`#checks-table tr[data-check="${check}"] .badge`).innerText();

describe('/admin/dashboard in Chromium', () => {
  it('signs in, shows the status and the chart, "run check now" updates the table, the dry run lists the ghost', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Script errors and CSP violations; the refused sign-in's 401 is the one failed load expected.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 401')) errors.push(message.text());
    });
    try {
      await page.goto(`${base}/admin/dashboard`);
      expect(new URL(page.url()).pathname).toBe('/admin/dashboard/sign-in');

      await signIn(page, 'not-the-password');
      expect(await page.locator('.error').innerText()).toContain('Wrong user or password');
      expect(await context.cookies()).toEqual([]);

      await signIn(page);
      expect(new URL(page.url()).pathname).toBe('/admin/dashboard');
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ name: 'ach_admin_session', httpOnly: true, sameSite: 'Strict', path: '/admin' });

      expect(await page.locator('#overall-status').innerText()).toMatch(/healthy/i);
      expect(await page.locator('#figures').innerText()).toMatch(/auth users/i);
      expect(await page.locator('#syncs-table').innerText()).toMatch(/steam\s+1\s+1/);
      await page.waitForSelector('#history-chart canvas');
      await expect.poll(() => paintedPixels(page)).toBeGreaterThan(1_000);
      expect(await checkStatus(page, 'ghost_users')).toBe('pass');

      await Promise.all([page.waitForEvent('load'), page.click('#run-check')]);
      expect(await checkStatus(page, 'ghost_users')).toBe('fail');
      expect(await page.locator('#overall-status').innerText()).toMatch(/critical/i);
      expect(await page.locator('#action-result').innerText()).toContain('Check finished: critical');

      await page.click('#backfill-dry');
      await page.waitForSelector('#backfill-table');
      expect(await page.locator('#action-result').innerText()).toContain('1 ghost user(s) would get a profile');
      expect(await page.locator('#backfill-table').innerText()).toContain('ghost@example.test');
      expect(errors).toEqual([]);

      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: `${ARTIFACTS}admin-dashboard.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await expect.poll(() => paintedPixels(page)).toBeGreaterThan(500);
      // A phone: nothing wider than the screen but the tables' own scroll areas.
      const overflowing = await page.evaluate<string[]>(OVERFLOWING);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), overflowing.join('\n')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: `${ARTIFACTS}admin-dashboard-phone.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('refuses a non-admin: no session without the credentials, and a user\'s token gets 403 from the admin API', async () => {
    const userToken = await h.token(await h.createUser());
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${userToken}` } });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/admin/dashboard`);
      expect(new URL(page.url()).pathname).toBe('/admin/dashboard/sign-in');
      const api = await page.goto(`${base}/admin/quality`);
      expect(api?.status()).toBe(403);
      expect(await api?.json()).toMatchObject({ code: 'forbidden_role' });
      await page.goto(`${base}/admin/dashboard/sign-in`);
      const refused = await page.evaluate(async () => (await fetch('../quality/run', { method: 'POST' })).status);
      expect(refused).toBe(403);
    } finally {
      await context.close();
    }
  });
});
