import { rmSync } from 'node:fs';
import { RELIABILITY_LOG_DIR, RELIABILITY_SECRETS_DIR } from './system-under-test.ts';

/**
 * Vitest global setup of the reliability suite: each run starts without the previous runs' logs and
 * secrets, so the security sweep's scan of "every log of the suite" means this run's (an old leak,
 * or a deliberately broken run, would otherwise fail every later run).
 */
export default function setup(): void {
  for (const dir of [RELIABILITY_LOG_DIR, RELIABILITY_SECRETS_DIR]) rmSync(dir, { recursive: true, force: true });
}
