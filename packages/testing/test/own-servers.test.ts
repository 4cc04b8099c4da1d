import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { findPostgresBinDir, startOwnPostgres, startOwnRedis } from '../src/own-servers.ts';

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

describe('finding initdb and pg_ctl', () => {
  it('takes PG_BIN when it has both, else the newest /usr/lib/postgresql/<version>/bin, else PATH', () => {
    const root = mkdtempSync(join(tmpdir(), 'ach-pgbin-'));
    const fakeBin = (dir: string, commands = ['initdb', 'pg_ctl']) => {
      mkdirSync(dir, { recursive: true });
      for (const command of commands) {
        writeFileSync(join(dir, command), '#!/bin/sh\n');
        chmodSync(join(dir, command), 0o755);
      }
      return dir;
    };
    try {
      const debian = join(root, 'debian');
      fakeBin(join(debian, '9.6', 'bin'));
      const v16 = fakeBin(join(debian, '16', 'bin'));
      fakeBin(join(debian, '17', 'bin'), ['pg_ctl']); // a client-only install: no initdb
      const onPath = fakeBin(join(root, 'path'));
      const custom = fakeBin(join(root, 'custom'));

      expect(findPostgresBinDir(undefined, onPath, debian)).toBe(v16);
      expect(findPostgresBinDir(custom, onPath, debian)).toBe(custom);
      expect(findPostgresBinDir(join(root, 'nothing-here'), onPath, debian)).toBeUndefined();
      expect(findPostgresBinDir(undefined, `${join(root, 'empty')}:${onPath}`, join(root, 'no-debian'))).toBe(onPath);
      expect(findPostgresBinDir(undefined, join(root, 'empty'), join(root, 'no-debian'))).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
