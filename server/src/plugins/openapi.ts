/** OpenAPI 3.1 generated from the route schemas (which come from the contract); UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

interface DocumentedBody {
  consumes: string[];
}

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tag Manager API',
        version: '1.0.0',
        description:
          'Category taxonomy and product categorisation. Every response uses the success or error envelope; every error carries a stable `code`.',
      },
      tags: [
        { name: 'products' },
        { name: 'assignments' },
        { name: 'bulk' },
        { name: 'categories' },
        { name: 'stats' },
        { name: 'import' },
        { name: 'export' },
        { name: 'changes' },
        { name: 'tokens' },
        { name: 'health' },
      ],
      // Used by the operations when AUTH_MODE=token (see features/auth/auth.plugin.ts).
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
    },
    // Upload routes read their body as a stream, so it is documented here rather than validated.
    transform: ({ schema, url, route }) => {
      const documented = (route.config as { documentedBody?: DocumentedBody } | undefined)
        ?.documentedBody;
      if (!documented || !schema) return { schema, url };
      return {
        url,
        schema: {
          ...schema,
          consumes: documented.consumes,
          body: schema.body ?? { type: 'string', description: 'The file' },
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapi, { name: 'openapi' });
