/**
 * `GET /metrics`: Prometheus text format. Database gauges are computed during the scrape.
 *
 * Open unless METRICS_TOKEN is set: Prometheus usually scrapes over a private network, and the
 * numbers carry no lead data (handler ids and lead types at most). Where the port is reachable
 * from outside, set the token and give Prometheus `authorization: { credentials: … }`.
 */
import type { FastifyInstance } from 'fastify';
import { requireBearer } from '../http/bearer-auth.ts';
import { renderMetrics, type Metrics } from './metrics.ts';

export interface MetricsRouteOptions {
  /** METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>` (else 401). */
  token?: string | undefined;
}

export function registerMetricsRoute(
  app: FastifyInstance,
  m: Metrics,
  opts: MetricsRouteOptions = {},
): void {
  const token = opts.token;
  app.get(
    '/metrics',
    {
      logLevel: 'warn', // a scrape every 15 s would drown the request log
      ...(token ? { onRequest: async (req) => requireBearer(req, token, 'METRICS_TOKEN') } : {}),
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Open unless METRICS_TOKEN is set on the server; then `Authorization: Bearer <METRICS_TOKEN>` is required (401 otherwise).',
        tags: ['ops'],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_req, reply) => {
      const { contentType, body } = await renderMetrics(m);
      return reply.type(contentType).send(body);
    },
  );
}
