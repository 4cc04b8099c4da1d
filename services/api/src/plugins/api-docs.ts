import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
import { usePageHeaders } from './security-headers.ts';

/** OpenAPI document built from the routes' zod schemas; served at /openapi.json, UI at /docs. */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'achievement-sync API', version: '1.0.0', description: 'Sync PSN, Xbox and Steam achievements. Errors are application/problem+json.' },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'Supabase access token (JWT)' } },
      },
    },
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/', '/docs/*', '/docs/json', '/docs/yaml', '/docs/static/*', '/openapi.json'] }),
  });
  await app.register(async (docs) => {
    // swagger-ui sets its own CSP (staticCSP); the API's would block its assets.
    usePageHeaders(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
