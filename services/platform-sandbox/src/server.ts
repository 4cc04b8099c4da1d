import { parseEnvOrExit } from '@ach/config';
import { createLogger } from '@ach/observability';
import { onShutdown } from '@ach/runtime';
import { createSandbox } from './app.ts';
import { sandboxEnv } from './sandbox-env.ts';

const env = parseEnvOrExit(sandboxEnv);
const log = createLogger({ name: 'platform-sandbox', level: env.LOG_LEVEL });
const { app } = createSandbox({ logger: log, steam: { apiKeys: env.SANDBOX_STEAM_API_KEYS } });

onShutdown({ log, timeoutMs: 5_000 }, async () => {
  await app.close();
});

try {
  await app.listen({ port: env.SANDBOX_PORT, host: env.SANDBOX_HOST });
  log.info({ url: `http://${env.SANDBOX_HOST}:${env.SANDBOX_PORT}` }, 'platform sandbox listening');
} catch (error) {
  log.fatal({ err: error }, 'platform sandbox failed to start');
  process.exit(1);
}
