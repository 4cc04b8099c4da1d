export { ConfigError, parseEnv, parseEnvOrExit } from './parse-env.ts';
export {
  baseUrl,
  booleanFlag,
  credentialsKeyEnv,
  databaseEnv,
  logEnv,
  platformEnv,
  psnEnv,
  redisEnv,
  steamEnv,
  xboxEnv,
} from './env-schemas.ts';
