export { createTestDatabase, type TestDatabase } from './test-database.ts';
export { createTestRedis, type TestRedis } from './test-redis.ts';
export { freePort, startOwnPostgres, startOwnRedis, type OwnPostgres, type OwnRedis } from './own-servers.ts';
export { withDatabase } from './test-services.ts';
export { platformErrorOf } from './platform-error-of.ts';
export { changedKeys, rowVersions } from './sync-assertions.ts';
export { userBearer } from './user-bearer.ts';
export { settledJob } from './settled-job.ts';
