import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { syncRequests } from './support/sync-requests.ts';

/** Size cap, per-user rate limit, and the per-request figures in logs and /metrics. */

let h: ApiHarness;
let sync: ReturnType<typeof syncRequests>;
let userId: string;

beforeAll(async () => {
  h = await createApiHarness({ app: { rateLimit: { clientSyncMax: 8 }, clientSyncPushBodyLimit: 16 * 1024 } });
  sync = syncRequests(h);
  userId = await h.createUser();
});
afterAll(async () => {
  await h?.close();
});

describe('limits and figures', () => {
  it('logs and exports each pull\'s and push\'s duration, records per table and conflicts', async () => {
    const { timestamp } = await sync.pull(userId);
    const pushed = await sync.push(userId, { trophy_help_requests: { created: [{ id: 'r1', platform_id: 3, platform_game_id: '440', status: 'open' }], updated: [], deleted: [] } }, timestamp);
    expect(pushed.statusCode).toBe(200);
    const stale = await sync.push(userId, { trophy_help_requests: { created: [], updated: [{ id: 'r1', platform_id: 3, platform_game_id: '440', status: 'resolved', sync_version: 1 }], deleted: [] } }, timestamp);
    expect(stale.statusCode).toBe(409);
    await sync.pull(userId, timestamp);

    const lines = h.logs.lines.map((line) => JSON.parse(line) as { msg: string; clientSync?: Record<string, unknown> }).filter((l) => l.clientSync);
    expect(lines.find((l) => l.msg === 'client sync pull' && (l.clientSync!.records as Record<string, unknown>).trophy_help_requests)?.clientSync)
      .toMatchObject({ operation: 'pull', outcome: 'ok', durationMs: expect.any(Number), records: { trophy_help_requests: { updated: 1, deleted: 0 } } });
    expect(lines.find((l) => l.msg === 'client sync push')?.clientSync).toMatchObject({ operation: 'push', records: { trophy_help_requests: { created: 1, updated: 0, deleted: 0 } } });
    expect(lines.find((l) => l.msg === 'client sync push refused')?.clientSync).toMatchObject({ outcome: 'conflict', code: 'conflict', conflicts: 1 });

    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/client_sync_request_duration_seconds_count\{operation="pull",outcome="ok"\} 2/);
    expect(metrics).toMatch(/client_sync_request_duration_seconds_count\{operation="push",outcome="conflict"\} 1/);
    expect(metrics).toMatch(/client_sync_records_total\{operation="push",table="trophy_help_requests",change="created"\} 1/);
    expect(metrics).toMatch(/client_sync_records_total\{operation="pull",table="trophy_help_requests",change="updated"\} 1/);
    expect(metrics).toMatch(/client_sync_conflicts_total 1/);
  });

  it('refuses a push body over the cap with 413, before reading it into the database', async () => {
    const big = Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, platform_id: 3, platform_game_id: '440', message: 'x'.repeat(100), status: 'open' }));
    const res = await sync.push(userId, { trophy_help_requests: { created: big, updated: [], deleted: [] } }, null);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('rate-limits per user across both routes, with Retry-After; another user is not affected', async () => {
    const caller = await h.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await sync.pullResponse(caller, null)).statusCode);
    statuses.push((await sync.push(caller, {}, null)).statusCode);
    const limited = await sync.pullResponse(caller, null);
    expect(statuses).toEqual(Array(8).fill(200));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect((await sync.push(caller, {}, null)).statusCode).toBe(429);
    const other = await h.createUser();
    expect((await sync.pullResponse(other, null)).statusCode).toBe(200);
  });
});
