import { parseEnvOrExit } from '@ach/config';
import { createLogger } from '@ach/observability';
import { createSandbox } from './app.ts';
import { sandboxEnv } from './sandbox-env.ts';

const env = parseEnvOrExit(sandboxEnv);
const log = createLogger({ name: 'platform-sandbox', level: env.LOG_LEVEL });
const { app } = createSandbox({ logger: log, steam: { apiKeys: env.SANDBOX_STEAM_API_KEYS } });

const shutdown = async (signal: string) => {
  log.info({ signal }, 'sandbox shutting down');
  await app.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  await app.listen({ port: env.SANDBOX_PORT, host: env.SANDBOX_HOST });
  log.info({ url: `http://${env.SANDBOX_HOST}:${env.SANDBOX_PORT}` }, 'platform sandbox listening');
} catch (error) {
  log.fatal({ err: error }, 'platform sandbox failed to start');
  process.exit(1);
}
