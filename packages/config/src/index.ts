export { ConfigError, parseEnv, parseEnvOrExit } from './parse-env.ts';
export { optionalSecretOfAtLeast, trustedFetchUrl } from './secret-env.ts';
export {
  baseUrl,
  credentialsKeyEnv,
  databaseEnv,
  logEnv,
  platformEnv,
  psnEnv,
  redisEnv,
  steamEnv,
  xboxEnv,
} from './env-schemas.ts';
