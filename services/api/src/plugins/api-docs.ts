import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { usePageHeaders } from './security-headers.ts';

export interface ApiDocsOptions {
  /** PUBLIC_BASE_URL: the document's server, so a generated client calls the right host (and path prefix). */
  publicBaseUrl?: string;
}

/** Each operation's `tags` name one of these (redocly's recommended rules want them described). */
const TAGS = [
  { name: 'sync', description: 'Request syncs of a linked platform, follow their progress (SSE) and read their history' },
  { name: 'accounts', description: 'Link, list and unlink platform accounts (PSN, Xbox, Steam); a link by token or Steam sign-in proves ownership' },
  { name: 'games', description: 'The caller\'s synced games with progress, and each game\'s achievements' },
  { name: 'users', description: 'The caller\'s public.users profile' },
  { name: 'client-sync', description: 'The mobile app\'s WatermelonDB sync: one pull (changes and deletions since a watermark) and one push (the app\'s own records) per sync' },
  { name: 'webhooks', description: 'Called by Supabase (Database Webhooks), not by apps; authenticated with AUTH_WEBHOOK_SECRET' },
  { name: 'ops', description: 'Liveness, readiness and Prometheus metrics for orchestrators and scrapers' },
  { name: 'admin', description: 'Data-quality status, runs, history and the ghost-user backfill, for operators (an admin token, or the dashboard\'s session)' },
];

const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Supabase access token of a signed-in user (role `authenticated`)' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the server sets one' },
  webhookSecret: { type: 'apiKey', in: 'header', name: 'x-webhook-secret', description: 'AUTH_WEBHOOK_SECRET' },
  webhookBearer: { type: 'http', scheme: 'bearer', description: 'AUTH_WEBHOOK_SECRET as a bearer token (for webhook senders that only set Authorization)' },
  adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Supabase token with role `service_role` or `app_metadata.role` `admin`' },
  adminSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'ach_admin_session',
    description: 'The dashboard\'s session (signed in at /admin/dashboard with BULL_BOARD_USER / BULL_BOARD_PASSWORD); POSTs also need its `x-csrf-token`',
  },
} as const;

const HIDDEN_ROUTES = ['/docs', '/docs/', '/docs/*', '/docs/json', '/docs/yaml', '/docs/static/*', '/docs/initOAuth', '/docs/uiConfig', '/openapi.json'];

interface DocumentParts {
  paths?: Record<string, Record<string, { security?: Record<string, unknown>[] } | undefined>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/**
 * Drops components nothing uses, which a client generator (and `redocly lint`) would list: the zod
 * transform emits an input and an output variant of every named schema, and a security scheme's
 * routes may not be mounted (the webhook without AUTH_WEBHOOK_SECRET).
 */
function withoutUnusedComponents<Document extends object>(document: Document): Document {
  const { paths = {}, components } = document as DocumentParts;
  const usedSchemes = new Set(Object.values(paths).flatMap((operations) => Object.values(operations).flatMap((op) => (op?.security ?? []).flatMap(Object.keys))));
  const securitySchemes = Object.fromEntries(Object.entries(components?.securitySchemes ?? {}).filter(([name]) => usedSchemes.has(name)));
  let schemas = { ...components?.schemas };
  for (;;) {
    const used = Object.keys(schemas).filter((id) => {
      // Everything but the schema's own definition (undefined drops out of the JSON).
      const rest = JSON.stringify({ ...document, components: { ...components, schemas: { ...schemas, [id]: undefined } } });
      return rest.includes(`"#/components/schemas/${id}"`);
    });
    if (used.length === Object.keys(schemas).length) return { ...document, components: { ...components, schemas, securitySchemes } };
    schemas = Object.fromEntries(used.map((id) => [id, schemas[id]]));
  }
}

/** OpenAPI document built from the routes' zod schemas; served at /openapi.json, UI at /docs. */
export async function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions = {}): Promise<void> {
  // Schemas with a zod `id` (`.meta({ id })`, e.g. Problem) become components: one type in generated clients.
  const addComponents = createJsonSchemaTransformObject({});

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'achievement-sync API',
        version: '1.0.0',
        description: 'Sync PSN, Xbox and Steam achievements. Errors are application/problem+json (`type`, `title`, `status`, `detail`, `code`).',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative ('/'): the document's own origin, when no public URL is configured.
      servers: [{ url: options.publicBaseUrl ?? '/', description: 'This API (PUBLIC_BASE_URL)' }],
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // PUBLIC_BASE_URL's path is where a proxy mounts the API: route paths are relative to it as they are.
    stripBasePath: false,
    transform: createJsonSchemaTransform({ skipList: HIDDEN_ROUTES }),
    transformObject: (document) => withoutUnusedComponents(addComponents(document)),
  });
  await app.register(async (docs) => {
    // swagger-ui sets its own CSP (staticCSP); the API's would block its assets.
    usePageHeaders(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
