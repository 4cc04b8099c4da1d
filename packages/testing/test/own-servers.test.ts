import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startOwnPostgres, startOwnRedis } from '../src/own-servers.ts';

describe('private servers for kill/restart tests', () => {
  it('a private Postgres answers, survives a restart on the same port, and is removed', async () => {
    const server = await startOwnPostgres();
    try {
      const query = async () => {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        const { rows } = await client.query<{ port: string }>("select current_setting('port') as port");
        await client.end();
        return Number(rows[0]!.port);
      };
      expect(await query()).toBe(server.port);
      await server.stop();
      await expect(query()).rejects.toThrow();
      await server.start();
      expect(await query()).toBe(server.port);
    } finally {
      await server.destroy();
    }
  });

  it('a private Redis loses its data on restart (nothing kept on disk) and answers again', async () => {
    const server = await startOwnRedis();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      await redis.set('k', 'v');
      await server.stop();
      await server.start();
      await new Promise((r) => setTimeout(r, 300));
      expect(await redis.get('k')).toBeNull();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
