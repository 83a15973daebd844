/**
 * `POST /leads` (INTAKE_TOKEN): store a JSON lead, answer 202 with its id.
 * `GET /leads/:id` (ADMIN_TOKEN): the stored lead, its decisions with trace, CRM writes and events.
 */
import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { SwitchboardError } from '../errors.ts';
import { requireBearer } from './bearer-auth.ts';
import { parseJsonLead } from '../intake/json-lead.ts';
import { insertJsonLead } from '../intake/inbox-store.ts';
import { readLeadView } from '../intake/lead-view.ts';
import { logFields } from './request-log.ts';

export function registerLeadRoutes(
  app: FastifyInstance,
  deps: { env: Env; handle: DatabaseHandle; onInboxInsert?: () => void },
): void {
  app.post(
    '/leads',
    {
      schema: {
        summary: 'Store a JSON lead (Idempotency-Key optional); 202 with its id',
        tags: ['intake'],
        security: [{ intakeToken: [] }],
      },
    },
    async (req, reply) => {
      requireBearer(req, deps.env.INTAKE_TOKEN, 'INTAKE_TOKEN');
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new SwitchboardError(
          'LEAD.MEDIA_TYPE',
          'Send the lead as Content-Type: application/json.',
          415,
        );
      }
      const key = req.headers['idempotency-key'];
      const intake = parseJsonLead(req.body, Array.isArray(key) ? key[0] : key);
      const r = await insertJsonLead(deps.handle.db, {
        ...intake,
        maxAttempts: deps.env.WORKER_MAX_ATTEMPTS,
      });
      if (!r.duplicate) deps.onInboxInsert?.();
      logFields(req, { leadId: r.leadId, inboxId: r.inboxId, duplicate: r.duplicate });
      return reply
        .status(202)
        .header('location', `/leads/${r.leadId}`)
        .send({ leadId: r.leadId, status: 'accepted', duplicate: r.duplicate });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/leads/:id',
    {
      schema: {
        summary: 'A stored lead, its decisions with trace, CRM writes and events',
        tags: ['admin'],
        security: [{ adminToken: [] }],
      },
    },
    async (req) => {
      requireBearer(req, deps.env.ADMIN_TOKEN, 'ADMIN_TOKEN');
      if (!/^\d{1,18}$/.test(req.params.id)) {
        throw new SwitchboardError('LEAD.BAD_ID', 'A lead id is a positive integer.', 400);
      }
      const view = await readLeadView(deps.handle.db, req.params.id);
      if (!view) throw new SwitchboardError('LEAD.NOT_FOUND', `No lead ${req.params.id}.`, 404);
      return view;
    },
  );
}
