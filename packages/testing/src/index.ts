export { createTestDatabase, type TestDatabase } from './test-database.ts';
export { createTestRedis, type TestRedis } from './test-redis.ts';
export {
  freePort,
  startOwnPostgres,
  startOwnRedis,
  startOwnRedisCluster,
  type ClusterFailover,
  type OwnPostgres,
  type OwnRedis,
  type OwnRedisCluster,
  type OwnRedisClusterNode,
} from './own-servers.ts';
export { withDatabase } from './test-services.ts';
export { platformErrorOf } from './platform-error-of.ts';
export { changedKeys, rowVersions } from './sync-assertions.ts';
export { userBearer } from './user-bearer.ts';
export { settledJob } from './settled-job.ts';
export { GARBAGE_TOKEN, prng, randomFuzzRequest, type FuzzRequest, type FuzzTokens, type Prng } from './attack-sets/random-requests.ts';
export { hostileFieldRequests, type HostileFieldContext, type HostileFieldRequest, type OpenApi } from './attack-sets/hostile-field-requests.ts';
export {
  JWT_ATTACKS,
  USER_ROUTES,
  respellLastSignatureChar,
  signHs256,
  unsignedToken,
  untrustedRs256Signer,
  type JwtAttack,
  type JwtAttackContext,
  type Rs256Signer,
} from './attack-sets/jwt-attacks.ts';
