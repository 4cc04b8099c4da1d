export { createSteamAdapter } from './steam-adapter.ts';
export { createSteamWorker } from './steam-worker.ts';
export { steamWorkerEnvSchema, type SteamWorkerEnv } from './worker-env.ts';
