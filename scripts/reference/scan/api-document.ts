import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { parseEnv } from '@ach/config';
import { createCredentialCipher } from '@ach/crypto';
import { createDb } from '@ach/db';
import { createLogger } from '@ach/observability';
import { builtinPlatformRegistry } from '@ach/platform-registry';
import { syncQueueName, type SyncQueues } from '@ach/queue';
import { apiConfigFrom, apiEnv } from '../../../services/api/src/api-env.ts';
import { createApp } from '../../../services/api/src/app.ts';
import { createPlatformLinking } from '../../../services/api/src/linking/platform-linking.ts';

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  format?: string;
  description?: string;
  $ref?: string;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { securitySchemes?: Record<string, { description?: string }> };
}

/** A metric as a registry holds it (prom-client's instances; its typings only promise `MetricObject`). */
export interface MetricDefinition {
  name: string;
  help: string;
  type: string;
  labelNames?: readonly string[];
}

export function metricDefinitions(registry: Registry): MetricDefinition[] {
  return registry.getMetricsAsArray() as unknown as MetricDefinition[];
}

/** A path the app answers (Fastify's own `:param` syntax) and its methods. */
export interface RegisteredRoute {
  path: string;
  methods: string[];
}

export interface ApiSurface {
  /** /openapi.json as the API serves it with every optional route mounted. */
  document: OpenApiDocument;
  /** Every route the app registered, documented or not (Swagger UI, Bull Board, HTML pages). */
  routes: RegisteredRoute[];
  /** The metrics of the API's registry (read without scraping, so no queue is asked). */
  metrics: MetricDefinition[];
}

/**
 * Every optional feature switched on (secrets of their minimum length, a public URL): what the
 * largest deployment serves. Values only need to parse; nothing is ever called with them.
 */
const EVERYTHING_ON: NodeJS.ProcessEnv = {
  CREDENTIALS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
  SUPABASE_JWT_SECRET: 'reference-generator-jwt-secret-of-32+',
  AUTH_WEBHOOK_SECRET: 'reference-generator-webhook-secret-32+',
  BULL_BOARD_USER: 'reference',
  BULL_BOARD_PASSWORD: 'reference-generator',
  METRICS_TOKEN: 'reference-generator',
  PUBLIC_BASE_URL: 'https://api.example.com',
  STEAM_API_KEY: 'reference-generator',
  XBOX_CLIENT_ID: 'reference-generator',
};

/** `printRoutes({ commonPrefix: false })`'s tree as flat paths: `├── /sync/:platform (POST)` under its parents. */
function flattenRouteTree(tree: string): RegisteredRoute[] {
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)(?:[├└]── )?(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match || !match[2]) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = `${stack.join('')}${match[2]}`;
    stack.push(match[2]);
    if (match[3]) routes.push({ path, methods: match[3].split(', ').sort() });
  }
  return routes;
}

/**
 * Builds the real API app the way server.ts does (env → config, the registry's linking), with every
 * optional route mounted, and reads its OpenAPI document, its routes and its metrics registry.
 * Nothing connects: the pool and Redis are lazy and never asked, the queues are names only (only a
 * request would touch them).
 */
export async function loadApiSurface(): Promise<ApiSurface> {
  const platforms = builtinPlatformRegistry();
  const env = parseEnv(apiEnv, EVERYTHING_ON);
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  const db = createDb('postgres://docs@127.0.0.1:5432/docs');
  // Names only, introduced as BullMQ queues (Bull Board's adapter checks `metaValues.version`): nothing here runs a command.
  const queues = Object.fromEntries(
    platforms.slugs.map((slug) => [slug, { name: syncQueueName(slug), metaValues: { version: 'bullmq:reference-generator' } }]),
  ) as unknown as SyncQueues;
  const app = await createApp({
    db,
    platforms,
    queues,
    redis,
    createSubscriber: () => {
      throw new Error('the reference generator serves no requests');
    },
    cipher: createCredentialCipher({ key: env.CREDENTIALS_ENCRYPTION_KEY }),
    log: createLogger({ name: 'docs-reference', level: 'silent' }),
    config: apiConfigFrom(env),
    linking: createPlatformLinking(platforms, env),
  });
  try {
    await app.ready();
    return {
      document: app.swagger() as unknown as OpenApiDocument,
      routes: flattenRouteTree(app.printRoutes({ commonPrefix: false })),
      metrics: metricDefinitions(app.metricsRegistry),
    };
  } finally {
    await app.close();
    redis.disconnect();
    await db.destroy();
  }
}
