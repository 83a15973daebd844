/**
 * The app as production wires operations: metrics on, the reloadable config holder feeding the
 * worker's router, worker metrics attached. Built on C's test helpers (tokens, CRM double).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { loadEnv, type Env } from '../../../src/env.ts';
import type { DatabaseHandle } from '../../../src/db/database.ts';
import { manualClock, type Clock } from '../../../src/clock.ts';
import { createLogger, type Logger } from '../../../src/logger.ts';
import { createConfigHolder, type ConfigHolder } from '../../../src/config-reload.ts';
import { createInboxWorker, type InboxWorker } from '../../../src/intake/inbox-worker.ts';
import { createMetrics, type Metrics } from '../../../src/metrics/metrics.ts';
import {
  attachWorkerMetrics,
  instrumentRouter,
  type WorkerMetricsHandle,
} from '../../../src/metrics/worker-metrics.ts';
import { crmDouble, TEST_TOKENS } from '../../helpers/build-test-app.ts';

export { TEST_TOKENS };

export interface OpsApp {
  app: FastifyInstance;
  worker: InboxWorker;
  workerMetrics: WorkerMetricsHandle;
  metrics: Metrics;
  config: ConfigHolder;
  env: Env;
  clock: Clock;
  admin: Record<string, string>;
  intake: Record<string, string>;
  close(): Promise<void>;
}

export async function buildOpsApp(
  handle: DatabaseHandle,
  opts: {
    configPath?: string;
    /** SHADOW_CONFIG: reloaded with the routing config. */
    shadowPath?: string;
    clock?: Clock;
    log?: Logger;
    env?: Record<string, string>;
  } = {},
): Promise<OpsApp> {
  const clock = opts.clock ?? manualClock('2026-11-28T10:43:00Z');
  const log = opts.log ?? createLogger('silent');
  const metrics = createMetrics();
  const config = await createConfigHolder({
    path: opts.configPath ?? 'config/routing.yaml',
    clock,
    metrics,
    log,
    ...(opts.shadowPath ? { shadowPath: opts.shadowPath } : {}),
  });
  const worker = createInboxWorker({
    handle,
    log,
    router: instrumentRouter(config.router(), metrics),
    crm: crmDouble(),
    clock,
  });
  const workerMetrics = attachWorkerMetrics(worker.events, metrics, { clock });
  const env = loadEnv({
    INTAKE_TOKEN: TEST_TOKENS.intake,
    ADMIN_TOKEN: TEST_TOKENS.admin,
    HUBSPOT_CLIENT_SECRET: 'test-hubspot-client-secret',
    PUBLIC_URL: 'https://switchboard.example.com',
    LOG_LEVEL: 'info',
    ...opts.env,
  });
  const app = await buildApp({ env, handle, clock, log, metrics, config });
  return {
    app,
    worker,
    workerMetrics,
    metrics,
    config,
    env,
    clock,
    admin: { authorization: `Bearer ${TEST_TOKENS.admin}` },
    intake: { authorization: `Bearer ${TEST_TOKENS.intake}` },
    async close() {
      workerMetrics.detach();
      await worker.stop(0);
      await app.close();
    },
  };
}

/** Kira from the README story: 300 employees, logistics → strategic → Dana. */
export const KIRA = {
  email: 'kira.lindqvist@cascadiafreight.example',
  first_name: 'Kira',
  last_name: 'Lindqvist',
  title: 'Director of Operations',
  company: 'Cascadia Freight Co',
  domain: 'cascadiafreight.example',
  employees: 300,
  industry: 'Logistics',
  country: 'US',
  state: 'WA',
  source: { channel: 'web', form: 'contact' },
  message: 'We are thinking through some operational rebuild work. Open to a conversation.',
  created_at: '2026-11-28T02:43:00-08:00',
};

/** Posts a lead and routes it; returns our lead id. */
export async function routeLead(t: OpsApp, lead: object, key: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/leads',
    headers: { ...t.intake, 'idempotency-key': key },
    payload: lead,
  });
  if (res.statusCode !== 202)
    throw new Error(`POST /leads answered ${res.statusCode}: ${res.body}`);
  await t.worker.drain();
  return res.json().leadId as string;
}

/** One sample value from Prometheus text, or undefined when the series is absent. */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]!] = kv[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
