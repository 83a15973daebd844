/**
 * The admin API (ADMIN_TOKEN): a lead by our id or CRM id with everything that happened to it,
 * recent decisions, open SLAs, parked items and their retry, the routing config in use and its
 * reload. C's `GET /leads/:id` and `/admin/inbox` stay where they are; this adds the rest.
 */
import type { FastifyInstance } from 'fastify';
import type { Env } from '../env.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { ConfigHolder } from '../config-reload.ts';
import { SwitchboardError } from '../errors.ts';
import { retryParkedTimer } from '../fallback/timer-store.ts';
import { adminGuard } from './admin-api-auth.ts';
import {
  findLeadIdsByCrmId,
  listOpenSlas,
  listParked,
  listRecentDecisions,
  readLeadDetail,
} from './admin-api-queries.ts';
import { retryParkedWrite } from '../outbox/outbox-store.ts';
import * as S from './admin-api-schemas.ts';

export interface AdminApiDeps {
  env: Env;
  handle: DatabaseHandle;
  clock: Clock;
  /** Absent when the app runs without a reloadable config (some tests): /admin/config answers 404. */
  config?: ConfigHolder;
  /** Wake the outbox runner / timer poller after a retry (optional; both poll anyway). */
  onCrmWritesQueued?: () => void;
  onTimersQueued?: () => void;
}

const security = [{ adminToken: [] }];
const tags = ['admin'];

export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', adminGuard(deps.env.ADMIN_TOKEN));
    const db = deps.handle.db;

    scope.get<{ Params: { id: string } }>(
      '/admin/leads/:id',
      {
        schema: {
          summary: 'A lead by our id: decision, trace, explanation, CRM writes, events, timers',
          tags,
          security,
          params: S.LeadIdParams,
          response: { 200: S.LeadDetailSchema, ...S.errors, ...S.notFound },
        },
      },
      async (req) => {
        const detail = await readLeadDetail(db, req.params.id);
        if (!detail) throw new SwitchboardError('LEAD.NOT_FOUND', `No lead ${req.params.id}.`, 404);
        return detail;
      },
    );

    scope.get<{ Params: { crmId: string }; Querystring: { system?: string } }>(
      '/admin/leads/by-crm-id/:crmId',
      {
        schema: {
          summary: 'A lead by its CRM record id (HubSpot contact id, Salesforce Lead id)',
          tags,
          security,
          params: S.CrmIdParams,
          querystring: S.CrmIdQuery,
          response: { 200: S.LeadByCrmIdSchema, ...S.errors, ...S.notFound },
        },
      },
      async (req) => {
        const ids = await findLeadIdsByCrmId(db, req.params.crmId, req.query.system);
        const detail = ids[0] ? await readLeadDetail(db, ids[0]) : null;
        if (!detail) {
          throw new SwitchboardError(
            'LEAD.NOT_FOUND',
            `No lead with CRM id ${req.params.crmId}.`,
            404,
          );
        }
        return { ...detail, matches: ids };
      },
    );

    scope.get<{ Querystring: { limit: number } }>(
      '/admin/decisions',
      {
        schema: {
          summary: 'Recent routing decisions with the reasons that carried them',
          tags,
          security,
          querystring: S.LimitQuery,
          response: { 200: S.DecisionsSchema, ...S.errors },
        },
      },
      async (req) => ({ decisions: await listRecentDecisions(db, req.query.limit) }),
    );

    scope.get<{ Querystring: { limit: number } }>(
      '/admin/slas',
      {
        schema: {
          summary:
            'Open first-touch SLAs (no engagement seen yet), soonest due first, overdue included',
          tags,
          security,
          querystring: S.LimitQuery,
          response: { 200: S.SlasSchema, ...S.errors },
        },
      },
      async (req) => {
        const now = deps.clock.now();
        return { now: now.toISOString(), slas: await listOpenSlas(db, now, req.query.limit) };
      },
    );

    scope.get<{ Querystring: { limit: number } }>(
      '/admin/parked',
      {
        schema: {
          summary:
            'What needs a human: parked inbox events, parked CRM writes, failed or overdue timers',
          tags,
          security,
          querystring: S.LimitQuery,
          response: { 200: S.ParkedSchema, ...S.errors },
        },
      },
      async (req) => listParked(db, deps.clock.now(), req.query.limit),
    );

    scope.post<{ Params: { id: string } }>(
      '/admin/crm-writes/:id/retry',
      {
        schema: {
          summary: 'Put a parked CRM write back in the outbox, due now, with 5 more attempts',
          tags,
          security,
          params: S.LeadIdParams,
          response: { 200: S.RetriedSchema, ...S.errors, ...S.notFound },
        },
      },
      async (req) => {
        if (!(await retryParkedWrite(db, req.params.id))) {
          throw new SwitchboardError(
            'ADMIN.NOT_PARKED',
            `No parked CRM write ${req.params.id}.`,
            404,
          );
        }
        req.log.info({ crmWriteId: req.params.id }, 'parked CRM write re-queued by an admin');
        deps.onCrmWritesQueued?.();
        return { retried: true };
      },
    );

    scope.post<{ Params: { id: string } }>(
      '/admin/timers/:id/retry',
      {
        schema: {
          summary: 'Put a parked fallback timer back in the queue, due now, with fresh attempts',
          tags,
          security,
          params: S.LeadIdParams,
          response: { 200: S.RetriedSchema, ...S.errors, ...S.notFound },
        },
      },
      async (req) => {
        if (!(await retryParkedTimer(db, req.params.id, deps.clock.now()))) {
          throw new SwitchboardError('ADMIN.NOT_PARKED', `No parked timer ${req.params.id}.`, 404);
        }
        req.log.info({ timerId: req.params.id }, 'parked timer re-queued by an admin');
        deps.onTimersQueued?.();
        return { retried: true };
      },
    );

    scope.get(
      '/admin/config',
      {
        schema: {
          summary: 'The routing config in use: hash, reviewed_on, warnings, last reload result',
          tags,
          security,
          response: { 200: S.ConfigSchema, ...S.errors, ...S.notFound },
        },
      },
      async () => {
        const holder = requireHolder(deps.config);
        const c = holder.current();
        return {
          hash: c.hash,
          fileName: c.fileName,
          reviewedOn: c.reviewedOn,
          reviewEvery: c.reviewEvery,
          loadedAt: c.loadedAt,
          warnings: c.warnings,
          lastReload: holder.lastReload(),
          ...(c.shadow
            ? { shadowHash: c.shadow.configHash, shadowFileName: c.shadowFileName }
            : {}),
        };
      },
    );

    scope.post(
      '/admin/config/reload',
      {
        schema: {
          summary:
            'Re-read the routing config file; a broken file is rejected and the old config keeps serving',
          tags,
          security,
          response: {
            200: { description: 'Applied or unchanged', ...S.ReloadResultSchema },
            422: {
              description: 'Rejected: the previous config keeps serving',
              ...S.ReloadResultSchema,
            },
            ...S.errors,
            ...S.notFound,
          },
        },
      },
      async (_req, reply) => {
        const r = await requireHolder(deps.config).reload('api');
        return reply.status(r.result === 'rejected' ? 422 : 200).send(r);
      },
    );
  });
}

function requireHolder(h: ConfigHolder | undefined): ConfigHolder {
  if (!h)
    throw new SwitchboardError(
      'CONFIG.NOT_RELOADABLE',
      'This instance has no reloadable config.',
      404,
    );
  return h;
}
