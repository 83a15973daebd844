/**
 * Inbox administration (ADMIN_TOKEN): list events by status (parked ones carry their error) and
 * put parked events back in the queue.
 */
import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { SwitchboardError } from '../errors.ts';
import { requireBearer } from './bearer-auth.ts';
import { retryParked } from '../intake/inbox-store.ts';

const STATUSES = ['pending', 'in_flight', 'done', 'parked'] as const;

export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { env: Env; handle: DatabaseHandle; onInboxInsert?: () => void },
): void {
  app.get<{ Querystring: { status?: string; limit?: string } }>(
    '/admin/inbox',
    {
      schema: {
        summary: 'Inbox events by status (default parked), with their last error',
        tags: ['admin'],
        security: [{ adminToken: [] }],
      },
    },
    async (req) => {
      requireBearer(req, deps.env.ADMIN_TOKEN, 'ADMIN_TOKEN');
      const status = req.query.status ?? 'parked';
      if (!(STATUSES as readonly string[]).includes(status)) {
        throw new SwitchboardError(
          'ADMIN.BAD_STATUS',
          `status must be one of ${STATUSES.join(', ')}`,
          400,
        );
      }
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
      const rows = await deps.handle.db
        .selectFrom('inbox')
        .select([
          'id',
          'source',
          'kind',
          'status',
          'attempts',
          'max_attempts',
          'last_error',
          'outcome',
          'lead_id',
          'run_at',
          'received_at',
        ])
        .where('status', '=', status as (typeof STATUSES)[number])
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return { events: rows };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/inbox/:id/retry',
    {
      schema: {
        summary: 'Re-queue a parked inbox event (or all with id = parked)',
        tags: ['admin'],
        security: [{ adminToken: [] }],
      },
    },
    async (req) => {
      requireBearer(req, deps.env.ADMIN_TOKEN, 'ADMIN_TOKEN');
      const id = req.params.id === 'parked' ? undefined : req.params.id;
      if (id !== undefined && !/^\d{1,18}$/.test(id)) {
        throw new SwitchboardError(
          'ADMIN.BAD_ID',
          'Use an inbox event id, or "parked" for all.',
          400,
        );
      }
      const requeued = await retryParked(deps.handle.db, id);
      if (requeued > 0) deps.onInboxInsert?.();
      return { requeued };
    },
  );
}
