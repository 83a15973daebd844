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
import { registerOpenApi } from './http/openapi.ts';
import { registerOperations } from './http/admin-api-register.ts';
import { installHttpMetrics } from './metrics/http-metrics.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { ConfigHolder } from './config-reload.ts';
import { createInboxNotifier } from './intake/inbox-notifier.ts';
import { createInboxInserter } from './intake/inbox-inserter.ts';
import { installRequestLogFields, requestLogController } from './http/request-log.ts';

export interface AppDeps {
  env: Env;
  handle: DatabaseHandle;
  clock: Clock;
  /** Root logger; omitted means no request logging (tests). */
  log?: Logger;
  /** Whether a routing config is loaded (readiness). */
  configLoaded?: () => boolean;
  /** Lead field ← Salesforce field for outbound-message sObjects (routing.yaml `crm_mapping`); default mapping when absent. */
  salesforceMapping?: Record<string, string>;
  /**
   * Called after intake stored new events: wakes the in-process worker. Returns true when that
   * worker claims them at once (it was idle); otherwise other instances get a NOTIFY.
   */
  onInboxInsert?: () => boolean | void;
  /** Prometheus metrics; omitted means no `/metrics` route (most tests). */
  metrics?: Metrics;
  /** The live routing config (admin API `/admin/config`, operator page). */
  config?: ConfigHolder;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // One line per request (src/http/request-log.ts), not Fastify's two plus the route's own.
    ...(deps.log
      ? { loggerInstance: deps.log, logController: requestLogController(deps.log) }
      : { logger: false }),
    bodyLimit: deps.env.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // Behind a proxy the request's own URL is the proxy's; PUBLIC_URL is what HubSpot signed.
    trustProxy: false,
  }) as unknown as FastifyInstance;
  installErrorHandler(app);
  installRequestLogFields(app);
  // Before any route: swagger and the metrics hook see routes as they are declared.
  await registerOpenApi(app);
  if (deps.metrics) installHttpMetrics(app, deps.metrics);
  // Callback style, not async: no promise per request on the ack path.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  // Intake wakes this process's worker directly and the other instances' through one coalesced
  // NOTIFY after the commit, not inside the insert (see src/intake/inbox-notifier.ts).
  const notifier = createInboxNotifier(deps.handle.db, {
    onError: (err) => deps.log?.warn({ err }, 'inbox NOTIFY failed; other instances will poll'),
  });
  app.addHook('onClose', () => notifier.flush());
  const intake = {
    ...deps,
    inbox: createInboxInserter(deps.handle.db, { maxAttempts: deps.env.WORKER_MAX_ATTEMPTS }),
    onInboxInsert: () => {
      // This process's idle worker claims the new rows at once; nobody else needs waking. With
      // one instance the NOTIFY only ever woke that same worker again (a statement per webhook).
      if (deps.onInboxInsert?.() !== true) notifier.nudge();
    },
  };
  registerHealthRoutes(app, {
    handle: deps.handle,
    configLoaded: deps.configLoaded ?? (() => true),
  });
  registerLeadRoutes(app, intake);
  registerAdminRoutes(app, deps);
  await app.register(async (scope) => registerHubSpotWebhook(scope, intake));
  await app.register(async (scope) => registerSalesforceWebhook(scope, intake));
  await registerOperations(app, deps);
  return app;
}
