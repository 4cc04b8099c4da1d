import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

const BOARD = { user: 'ops', password: 'ops-board-password-16+' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

let h: ApiHarness;
let noBoard: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ config: { bullBoard: BOARD } });
  noBoard = await createApiHarness({ database: h.database });
});
afterAll(async () => {
  await noBoard.close();
  await h.close();
});

describe('ops routes', () => {
  it('/health and /ready answer; request ids and helmet headers are set', async () => {
    const health = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'req-123' } });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    expect(health.headers['x-request-id']).toBe('req-123');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['strict-transport-security']).toBeDefined();
    expect(health.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(health.headers['x-frame-options']).toBe('DENY');
    expect(health.headers['cache-control']).toBe('no-store');
    // HTML-only headers stay off JSON responses.
    expect(health.headers['x-dns-prefetch-control']).toBeUndefined();
    expect(health.headers['cross-origin-opener-policy']).toBeUndefined();
    const ready = await h.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', postgres: true, redis: true });
  });

  it('/metrics has request durations by route pattern and each sync queue\'s counts', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'psn');
    await h.app.inject({ method: 'POST', url: '/sync/psn', headers: await h.bearer(user) });
    await h.app.inject({ method: 'GET', url: `/syncs/${crypto.randomUUID()}`, headers: await h.bearer(user) });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/sync\/:platform",status_code="202"\} 1/);
    expect(res.body).toContain('route="/syncs/:syncId"');
    expect(res.body).toMatch(/sync_queue_jobs\{queue="sync-psn",state="waiting"\} 1/);
    for (const queue of ['sync-steam', 'sync-xbox']) {
      for (const state of ['waiting', 'active', 'failed', 'delayed']) expect(res.body).toContain(`sync_queue_jobs{queue="${queue}",state="${state}"} 0`);
    }
  });

  it('/openapi.json documents every route with its zod schemas; /docs serves the UI', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/sync/{platform}', '/sync/{platform}/status', '/sync/{platform}/events', '/syncs', '/syncs/{syncId}', '/accounts', '/accounts/psn', '/accounts/xbox', '/accounts/steam', '/accounts/{platform}', '/me/games', '/me/games/{platform}/{platformGameId}/achievements', '/users/sync', '/health', '/ready']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/sync/{platform}'].post.requestBody.content['application/json'].schema.anyOf[0].properties.mode.enum).toEqual(['incremental', 'full']);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/admin/queues'))).toBe(false);
    const docs = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    // A page, not API JSON: swagger-ui's own CSP, not the API's default-src 'none' (which would blank it).
    expect(docs.headers['content-security-policy']).not.toContain("default-src 'none'");
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('refuses bodies over the limit with 413 problem+json', async () => {
    const user = await h.createUser();
    const res = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: { ...(await h.bearer(user)), 'content-type': 'application/json' }, payload: JSON.stringify({ mode: 'x'.repeat(70_000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('unknown routes are problem+json 404s', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/no-such-page' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('Bull Board', () => {
  it('401 without or with wrong credentials, 200 with them; its jobs carry ids only', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const sync = await h.app.inject({ method: 'POST', url: '/sync/steam', headers: await h.bearer(user) });
    expect(sync.statusCode).toBe(202);

    expect((await h.app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues', headers: basic(BOARD.user, 'wrong') })).statusCode).toBe(401);
    const page = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: basic(BOARD.user, BOARD.password) });
    expect(page.headers['content-security-policy']).toBeUndefined();
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/admin/queues');

    const api = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues?activeQueue=sync-steam&status=waiting', headers: basic(BOARD.user, BOARD.password) });
    expect(api.statusCode).toBe(200);
    const queues = api.json().queues as { name: string; jobs: { id: string; data: Record<string, unknown> }[] }[];
    expect(queues.map((q) => q.name).sort()).toEqual(['sync-psn', 'sync-steam', 'sync-xbox']);
    const jobs = queues.flatMap((q) => q.jobs);
    expect(jobs.map((j) => j.id)).toContain(sync.json().syncId);
    for (const job of jobs) expect(Object.keys(job.data).sort()).toEqual(['mode', 'platform', 'syncId', 'userId']);
    expect(api.body).not.toMatch(/token|npsso|secret/i);
  });

  it('is not mounted without BULL_BOARD_USER / BULL_BOARD_PASSWORD', async () => {
    const res = await noBoard.app.inject({ method: 'GET', url: '/admin/queues', headers: basic(BOARD.user, BOARD.password) });
    expect(res.statusCode).toBe(404);
  });
});
