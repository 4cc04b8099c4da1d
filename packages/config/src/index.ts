export { ConfigError, parseEnv, parseEnvOrExit } from './parse-env.ts';
export { optionalSecretOfAtLeast, trustedFetchUrl } from './secret-env.ts';
export { metricsEnv } from './metrics-env.ts';
export { baseUrl, credentialsKeyEnv, databaseEnv, logEnv, redisEnv } from './env-schemas.ts';
export { parseRedisUrl, redisHashTag, redisUrlSchema, requireHashTaggedPrefixOnCluster, type RedisNodeAddress, type RedisTarget } from './redis-url.ts';
