/**
 * The real app and inbox worker over a test database, configured like production but with
 * known tokens, the example routing config, an injected clock and a CRM double for enrichment:
 *
 *   const tdb = await createTestDb();
 *   const t = await buildTestApp(tdb, { clock: manualClock('2026-11-28T10:43:00Z') });
 *   await t.app.inject({ method: 'POST', url: '/leads', headers: t.auth.intake, payload: lead });
 *   await t.worker.drain();
 *
 * Nothing listens on a port; the worker is not started (call `drain()` to process what is stored).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadEnv, type Env } from '../../src/env.ts';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { manualClock, type Clock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { loadRoutingConfigFile } from '../../src/config-file.ts';
import { routerFromConfig, type Router } from '../../src/intake/router.ts';
import { createInboxWorker, type InboxWorker } from '../../src/intake/inbox-worker.ts';
import type { CrmPort } from '../../src/adapters/crm-port.ts';
import type { Lead } from '../../src/routing/lead.ts';
import type { EnrichingCrm } from '../../src/intake/process-event.ts';

export const TEST_TOKENS = { intake: 'test-intake-token', admin: 'test-admin-token' };
export const HUBSPOT_TEST_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
export const SALESFORCE_TEST_ORG = '00D000000000001EAA';

export type { EnrichingCrm } from '../../src/intake/process-event.ts';

/**
 * A CRM double that answers `readLead` / `readLeads` from a map of `${system}:${id}` → lead (the
 * far side). `reads` lists every record read; `batches` the size of each batch read.
 */
export function crmDouble(
  records: Record<string, Lead> = {},
  system: CrmPort['system'] = 'dryrun',
) {
  const reads: string[] = [];
  const batches: number[] = [];
  const crm: EnrichingCrm & { reads: string[]; batches: number[]; records: Record<string, Lead> } =
    {
      system,
      reads,
      batches,
      records,
      readLead: async (ref) => {
        reads.push(`${ref.system}:${ref.id}`);
        return records[`${ref.system}:${ref.id}`] ?? null;
      },
      readLeads: async (refs) => {
        batches.push(refs.length);
        const out = new Map<string, Lead | null>();
        for (const ref of refs) {
          reads.push(`${ref.system}:${ref.id}`);
          out.set(ref.id, records[`${ref.system}:${ref.id}`] ?? null);
        }
        return out;
      },
    };
  return crm;
}

export interface TestApp {
  app: FastifyInstance;
  worker: InboxWorker;
  env: Env;
  router: Router;
  clock: Clock;
  auth: { intake: Record<string, string>; admin: Record<string, string> };
  close(): Promise<void>;
}

let cachedRouter: Router | null = null;

export async function exampleRouter(): Promise<Router> {
  cachedRouter ??= routerFromConfig((await loadRoutingConfigFile('config/routing.yaml')).config);
  return cachedRouter;
}

export async function buildTestApp(
  handle: DatabaseHandle,
  opts: { env?: Record<string, string>; clock?: Clock; crm?: EnrichingCrm; workerId?: string } = {},
): Promise<TestApp> {
  const env = loadEnv({
    INTAKE_TOKEN: TEST_TOKENS.intake,
    ADMIN_TOKEN: TEST_TOKENS.admin,
    HUBSPOT_CLIENT_SECRET: HUBSPOT_TEST_SECRET,
    PUBLIC_URL: 'https://switchboard.example.com',
    SALESFORCE_ORG_ID: SALESFORCE_TEST_ORG,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const clock = opts.clock ?? manualClock('2026-11-28T10:43:00Z');
  const router = await exampleRouter();
  const log = createLogger('silent');
  const worker = createInboxWorker({
    handle,
    log,
    router,
    crm: opts.crm ?? crmDouble(),
    clock,
    ...(opts.workerId ? { workerId: opts.workerId } : {}),
  });
  const app = await buildApp({ env, handle, clock, log });
  return {
    app,
    worker,
    env,
    router,
    clock,
    auth: {
      intake: { authorization: `Bearer ${TEST_TOKENS.intake}` },
      admin: { authorization: `Bearer ${TEST_TOKENS.admin}` },
    },
    async close() {
      await worker.stop(0);
      await app.close();
    },
  };
}
