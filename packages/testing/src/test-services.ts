import { existsSync } from 'node:fs';

export interface TestServiceUrls {
  /** A superuser connection to a maintenance database: used to create and drop per-file databases. */
  postgresAdminUrl: string;
  redisUrl: string;
  stop: () => Promise<void>;
}

function dockerReachable(): boolean {
  if (process.env.TESTCONTAINERS_DISABLED === 'true') return false;
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * Testcontainers when a Docker engine answers; otherwise the servers named by TEST_DATABASE_URL /
 * TEST_REDIS_URL (the CI machine runs Postgres and Redis natively).
 */
export async function resolveTestServices(): Promise<TestServiceUrls> {
  if (dockerReachable()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const { RedisContainer } = await import('@testcontainers/redis');
      const [pg, redis] = await Promise.all([
        new PostgreSqlContainer('postgres:15-alpine').withUsername('root').withPassword('root').withDatabase('test').start(),
        new RedisContainer('redis:7-alpine').start(),
      ]);
      return {
        postgresAdminUrl: pg.getConnectionUri(),
        redisUrl: redis.getConnectionUrl(),
        stop: async () => {
          await Promise.all([pg.stop(), redis.stop()]);
        },
      };
    } catch (error) {
      console.error(`Testcontainers unavailable (${(error as Error).message}); using TEST_DATABASE_URL / TEST_REDIS_URL`);
    }
  }
  return {
    postgresAdminUrl: process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test',
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    stop: async () => {},
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
