/**
 * The OpenAPI document and its UI: `/docs` (Swagger UI) and `/docs/json`. Registered before any
 * route, because @fastify/swagger collects routes as they are declared. The document is public
 * (it describes, it does not expose); every admin route declares the `adminToken` scheme.
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export async function registerOpenApi(
  app: FastifyInstance,
  opts: { version?: string } = {},
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Switchboard',
        description:
          'Lead-routing middleware for HubSpot and Salesforce. Intake webhooks, the JSON lead intake, and the admin API (Authorization: Bearer $ADMIN_TOKEN).',
        version: opts.version ?? '0.1.0',
      },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
          intakeToken: { type: 'http', scheme: 'bearer', description: 'INTAKE_TOKEN' },
        },
      },
      tags: [
        { name: 'admin', description: 'Operations: leads, decisions, SLAs, parked items, config' },
        { name: 'intake', description: 'Webhooks and the JSON lead intake' },
        { name: 'ops', description: 'Health and metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
}
