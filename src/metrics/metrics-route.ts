/** `GET /metrics`: Prometheus text format. Database gauges are computed during the scrape. */
import type { FastifyInstance } from 'fastify';
import { renderMetrics, type Metrics } from './metrics.ts';

export function registerMetricsRoute(app: FastifyInstance, m: Metrics): void {
  app.get(
    '/metrics',
    {
      logLevel: 'warn', // a scrape every 15 s would drown the request log
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
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
