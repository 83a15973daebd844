/**
 * Intake metrics from Fastify hooks, so the intake routes carry no metric code: every answer on an
 * intake route counts one webhook by source and outcome, and its latency is the ack latency the
 * CRM sees (up to the last byte handed to the socket).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

/** Intake routes and the source label they report. */
export const INTAKE_ROUTES: Readonly<Record<string, string>> = {
  'POST /webhooks/hubspot': 'hubspot',
  'POST /webhooks/salesforce': 'salesforce',
  'POST /leads': 'json',
};

export function outcomeOf(status: number): 'accepted' | 'rejected' | 'failed' {
  return status < 400 ? 'accepted' : status < 500 ? 'rejected' : 'failed';
}

/** Adds an onResponse hook on `app` (the root instance, so it sees every route). */
export function installHttpMetrics(app: FastifyInstance, m: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const source = INTAKE_ROUTES[`${req.method} ${req.routeOptions.url ?? ''}`];
    if (!source) return;
    const status = reply.statusCode;
    m.webhooksReceived.inc({ source, outcome: outcomeOf(status), status: String(status) });
    m.ackSeconds.observe({ source }, reply.elapsedTime / 1000);
  });
}
