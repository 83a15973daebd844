/**
 * `buildApp(deps)`: the HTTP application, without listening (tests use `app.inject()`; only
 * server.ts listens). Dependencies come in explicitly; nothing here reads the environment.
 */
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Env } from './env.ts';
import type { DatabaseHandle } from './db/database.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { registerHealthRoutes } from './http/health-routes.ts';
import { registerLeadRoutes } from './http/lead-routes.ts';
import { registerAdminRoutes } from './http/admin-routes.ts';
import { registerHubSpotWebhook } from './http/hubspot-webhook-route.ts';
import { registerSalesforceWebhook } from './http/salesforce-webhook-route.ts';

export interface AppDeps {
  env: Env;
  handle: DatabaseHandle;
  clock: Clock;
  /** Root logger; omitted means no request logging (tests). */
  log?: Logger;
  /** Whether a routing config is loaded (readiness). */
  configLoaded?: () => boolean;
  /** Called after intake stored new events: wakes the in-process worker. */
  onInboxInsert?: () => void;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.log ? { loggerInstance: deps.log } : { logger: false }),
    bodyLimit: deps.env.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // Behind a proxy the request's own URL is the proxy's; PUBLIC_URL is what HubSpot signed.
    trustProxy: false,
  }) as unknown as FastifyInstance;
  installErrorHandler(app);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  registerHealthRoutes(app, {
    handle: deps.handle,
    configLoaded: deps.configLoaded ?? (() => true),
  });
  registerLeadRoutes(app, deps);
  registerAdminRoutes(app, deps);
  await app.register(async (scope) => registerHubSpotWebhook(scope, deps));
  await app.register(async (scope) => registerSalesforceWebhook(scope, deps));
  return app;
}
