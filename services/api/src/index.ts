export { createApp, type AppDeps, type AppOptions } from './app.ts';
export { apiConfigFrom, apiEnv, type ApiConfig, type ApiEnv } from './api-env.ts';
export { createPlatformLinking } from './linking/platform-linking.ts';
export type { AccountLinking, LinkedAccount } from './linking/account-linking.ts';
