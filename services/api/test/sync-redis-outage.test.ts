import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '@ach/testing';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let redis: OwnRedis;
let h: ApiHarness;
beforeAll(async () => {
  redis = await startOwnRedis();
  h = await createApiHarness({ redisUrl: redis.url });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

describe('POST /sync/:platform with Redis down', () => {
  it('answers 503 + Retry-After within 2 s, leaves no run queued, and works again once Redis is back', async () => {
    const user = await h.createUser();
    await h.linkAccount(user, 'steam');
    const headers = await h.bearer(user);
    await redis.stop();

    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      const res = await h.app.inject({ method: 'POST', url: '/sync/steam', headers });
      const elapsed = performance.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json()).toMatchObject({ code: 'queue_unavailable', status: 503 });
      expect(elapsed).toBeLessThanOrEqual(2_000);
    }
    const { rows } = await sql<{ status: string; error_code: string | null }>`
      select status, error_code from sync_logs where user_id = ${user}::uuid`.execute(h.db);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status === 'failed' && r.error_code === 'queue_unavailable')).toBe(true);

    const ready = await h.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ postgres: true, redis: false });

    await redis.start();
    let ok;
    for (let i = 0; i < 50; i++) {
      ok = await h.app.inject({ method: 'POST', url: '/sync/steam', headers });
      if (ok.statusCode === 202) break;
      await new Promise((r) => setTimeout(r, 200)); // ioredis reconnect backoff
    }
    expect(ok!.statusCode).toBe(202);
    const job = await h.deps.queues.steam.getJob(ok!.json().syncId);
    expect(job?.data).toMatchObject({ syncId: ok!.json().syncId, userId: user, platform: 'steam' });
    const live = await sql<{ status: string }>`select status from sync_logs where user_id = ${user}::uuid and status = 'queued'`.execute(h.db);
    expect(live.rows).toHaveLength(1);
  });
});
