/**
 * Everything operational in one call for app.ts: `/metrics` with its database gauges, the admin
 * API and the operator page. The OpenAPI plugin and the HTTP metric hook go in earlier (see
 * `registerOpenApi`, `installHttpMetrics`), because they must see routes as they are declared.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.ts';
import { registerDbGauges } from '../metrics/db-gauges.ts';
import { registerMetricsRoute } from '../metrics/metrics-route.ts';
import type { Logger } from '../logger.ts';
import { registerAdminApi, type AdminApiDeps } from './admin-api-routes.ts';
import { registerOperatorPage } from './operator-page.ts';

export interface OperationsDeps extends AdminApiDeps {
  metrics?: Metrics;
  log?: Logger;
}

export async function registerOperations(
  app: FastifyInstance,
  deps: OperationsDeps,
): Promise<void> {
  if (deps.metrics) {
    registerDbGauges(deps.metrics, {
      db: deps.handle.db,
      clock: deps.clock,
      onError: (err, gauge) => deps.log?.warn({ err, gauge }, 'metrics: database gauge failed'),
    });
    registerMetricsRoute(app, deps.metrics, { token: deps.env.METRICS_TOKEN });
  }
  await registerAdminApi(app, deps);
  await registerOperatorPage(app, deps);
}
