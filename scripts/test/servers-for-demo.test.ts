import { existsSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '@ach/testing';
import { postgresAnswers, redisAnswers } from '../demo/server-probes.ts';
import { postgresForDemo, redisForDemo, type DemoServer } from '../demo/servers-for-demo.ts';

// What `npm run demo` does before anything else: use DATABASE_URL / REDIS_URL when they answer,
// else start a throwaway server and delete it on exit. A free port is a URL that does not answer.
const started: DemoServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.remove();
});

describe('the demo’s Postgres', () => {
  it('is a throwaway cluster when DATABASE_URL does not answer, with the configured database name, and remove() deletes it', async () => {
    const silentUrl = `postgres://root:secret@127.0.0.1:${await freePort()}/achievements`;
    const server = await postgresForDemo(silentUrl);
    started.push(server);

    expect(server.url).toMatch(/^postgres:\/\/root@127\.0\.0\.1:\d+\/achievements$/);
    expect(server.url).not.toBe(silentUrl);
    const dir = /\(data in (\S+)\)/.exec(server.notice ?? '')?.[1];
    expect(server.notice).toContain(`DATABASE_URL (${silentUrl.replace(':secret', '')}) does not answer: started a throwaway Postgres at ${server.url}`);
    expect(server.notice).toContain('deleted when the demo exits');
    expect(server.notice).not.toContain('secret');
    expect(await postgresAnswers(server.url.replace(/\/achievements$/, '/postgres'), 2_000)).toBe(true);
    expect(existsSync(dir!)).toBe(true);

    await server.remove();
    expect(await postgresAnswers(server.url, 2_000)).toBe(false);
    expect(existsSync(dir!)).toBe(false);
  });

  it('is the configured one when it answers, even with an error (an unknown database is the demo’s to create)', async () => {
    const admin = inject('postgresAdminUrl');
    const url = new URL(admin);
    url.pathname = '/no_such_database_for_the_demo';
    for (const configured of [admin, url.toString()]) {
      const server = await postgresForDemo(configured);
      expect(server.url).toBe(configured);
      expect(server.notice).toBeUndefined();
    }
  });

  it('fails naming DATABASE_URL when it does not answer and there is no local Postgres', async () => {
    const silentUrl = `postgres://root@127.0.0.1:${await freePort()}/achievements`;
    await expect(postgresForDemo(silentUrl, { findBinDir: () => undefined })).rejects.toThrow(
      `DATABASE_URL (${silentUrl}) does not answer, and there is no local Postgres to start a throwaway one`,
    );
  });
});

describe('the demo’s Redis', () => {
  it('is a throwaway redis-server when REDIS_URL does not answer, and remove() stops it', async () => {
    const silentUrl = `redis://127.0.0.1:${await freePort()}`;
    const server = await redisForDemo(silentUrl);
    started.push(server);

    expect(server.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toBe(silentUrl);
    expect(server.notice).toBe(
      `REDIS_URL (${silentUrl}) does not answer: started a throwaway redis-server at ${server.url} (nothing saved to disk); its data is gone when the demo exits.`,
    );
    expect(await redisAnswers(server.url, 2_000)).toBe(true);

    await server.remove();
    expect(await redisAnswers(server.url, 2_000)).toBe(false);
  });

  it('is the configured one when it answers', async () => {
    const configured = inject('redisUrl');
    const server = await redisForDemo(configured);
    expect(server.url).toBe(configured);
    expect(server.notice).toBeUndefined();
  });

  it('fails naming REDIS_URL when it does not answer and there is no redis-server', async () => {
    const silentUrl = `redis://127.0.0.1:${await freePort()}`;
    await expect(redisForDemo(silentUrl, { redisServerInstalled: () => false })).rejects.toThrow(
      `REDIS_URL (${silentUrl}) does not answer, and there is no local redis-server to start a throwaway one`,
    );
  });
});
