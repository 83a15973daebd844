/**
 * The metric set, on a registry of its own (not prom-client's global one), so every app and every
 * test gets fresh counters. Names follow Prometheus conventions: `_total` counters, `_seconds`
 * histograms, base units only.
 *
 * Two kinds of numbers live here:
 * - **Per-instance** counters and histograms, moved by hooks in this process (webhooks received,
 *   ack latency, routing latency, decisions, SLAs started, timer lateness, CRM HTTP calls, outbox
 *   writes, reloads).
 *   Sum them across instances.
 * - **Database gauges** (db-gauges.ts), computed at scrape time from Postgres: outbox and inbox
 *   depth, open/met/missed SLAs, fallbacks fired per branch, receipt→CRM-write delay. Every
 *   instance reports the same value for these (one shared database); take `max`, not `sum`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Webhook acks must stay far below HubSpot's 5 s timeout; the target is p99 ≤ 10 ms. */
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** route() is pure CPU: microseconds to a millisecond. */
const COMPUTE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
/** Receipt → decision: normally well under a second; retries push it to minutes. */
const DELAY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
/** Timers fire on a poller; a healthy fleet is late by under a second. */
const LATENESS_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

export interface Metrics {
  readonly registry: Registry;
  readonly webhooksReceived: Counter<'source' | 'outcome' | 'status'>;
  readonly ackSeconds: Histogram<'source'>;
  readonly routeComputeSeconds: Histogram<never>;
  readonly receiptToDecisionSeconds: Histogram<'source'>;
  readonly decisions: Counter<'lead_type' | 'handler' | 'via' | 'reason'>;
  readonly slaStarted: Counter<'lead_type'>;
  readonly inboxFailures: Counter<'source' | 'status'>;
  readonly timerLatenessSeconds: Histogram<never>;
  readonly timerFirings: Counter<'result'>;
  readonly crmCalls: Counter<'crm' | 'operation' | 'call' | 'status'>;
  readonly crmWrites: Counter<'crm' | 'status'>;
  readonly configReloads: Counter<'result' | 'trigger'>;
  readonly configInfo: Gauge<'hash' | 'reviewed_on'>;
  readonly configLastReloadSuccess: Gauge<never>;
  readonly shadowConfigInfo: Gauge<'hash'>;
}

export interface MetricsOptions {
  /** Node process metrics (heap, event loop lag, GC). On in the server, off in tests. */
  processMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  const registers = [registry];
  return {
    registry,
    webhooksReceived: new Counter({
      name: 'switchboard_webhooks_received_total',
      help: 'Intake requests answered, by source (hubspot, salesforce, json), outcome (accepted, rejected, failed) and HTTP status.',
      labelNames: ['source', 'outcome', 'status'],
      registers,
    }),
    ackSeconds: new Histogram({
      name: 'switchboard_ack_seconds',
      help: 'Time from request received to answer sent on intake routes (the ack the CRM waits for).',
      labelNames: ['source'],
      buckets: ACK_BUCKETS,
      registers,
    }),
    routeComputeSeconds: new Histogram({
      name: 'switchboard_route_compute_seconds',
      help: 'CPU time of one routing decision (the pure route() call).',
      buckets: COMPUTE_BUCKETS,
      registers,
    }),
    receiptToDecisionSeconds: new Histogram({
      name: 'switchboard_receipt_to_decision_seconds',
      help: 'Time from an event being stored in the inbox to its routing decision being committed.',
      labelNames: ['source'],
      buckets: DELAY_BUCKETS,
      registers,
    }),
    decisions: new Counter({
      name: 'switchboard_decisions_total',
      help: 'Routing decisions committed, by lead type, handler, how the handler was chosen (handler, backup, pool, catch_all, account_owner) and reason (route, reroute).',
      labelNames: ['lead_type', 'handler', 'via', 'reason'],
      registers,
    }),
    slaStarted: new Counter({
      name: 'switchboard_sla_due_total',
      help: 'Decisions that started an SLA clock (a first-touch due time), by lead type.',
      labelNames: ['lead_type'],
      registers,
    }),
    inboxFailures: new Counter({
      name: 'switchboard_inbox_failures_total',
      help: 'Inbox events whose processing failed, by source and resulting status (pending = will retry, parked = needs a human).',
      labelNames: ['source', 'status'],
      registers,
    }),
    timerLatenessSeconds: new Histogram({
      name: 'switchboard_timer_lateness_seconds',
      help: 'How late fallback timers fired in this instance (fire time minus due time).',
      buckets: LATENESS_BUCKETS,
      registers,
    }),
    timerFirings: new Counter({
      name: 'switchboard_timer_firings_total',
      help: 'Fallback timer firings in this instance, by result (fired, retry, parked).',
      labelNames: ['result'],
      registers,
    }),
    crmCalls: new Counter({
      name: 'switchboard_crm_calls_total',
      help: 'Every HTTP request to the CRM, reads included, each retry counted: by CRM, operation (read, write), call (the adapter call, e.g. "read contact") and status (the HTTP status; for Salesforce, whose client hides it, 2xx or our error code such as CRM.UNAVAILABLE; network).',
      labelNames: ['crm', 'operation', 'call', 'status'],
      registers,
    }),
    crmWrites: new Counter({
      name: 'switchboard_crm_writes_total',
      help: "CRM write attempts by the outbox (owner + task + note, after the adapter's short retries), by CRM and status: ok, the CRM's HTTP status, or our error code when it did not answer.",
      labelNames: ['crm', 'status'],
      registers,
    }),
    configReloads: new Counter({
      name: 'switchboard_config_reloads_total',
      help: 'Routing config reload attempts, by result (applied, unchanged, rejected) and trigger (sighup, file, api, start).',
      labelNames: ['result', 'trigger'],
      registers,
    }),
    configInfo: new Gauge({
      name: 'switchboard_config_info',
      help: 'The routing config in use: always 1, labelled with its hash and reviewed_on date.',
      labelNames: ['hash', 'reviewed_on'],
      registers,
    }),
    configLastReloadSuccess: new Gauge({
      name: 'switchboard_config_last_reload_success',
      help: '1 if the last reload attempt applied or kept an identical config, 0 if it was rejected (the previous config keeps serving).',
      registers,
    }),
    shadowConfigInfo: new Gauge({
      name: 'switchboard_shadow_config_info',
      help: 'The shadow config in use (SHADOW_CONFIG): always 1, labelled with its hash; absent when shadow mode is off.',
      labelNames: ['hash'],
      registers,
    }),
  };
}

/** Prometheus's text exposition: what GET /metrics answers. */
export async function renderMetrics(m: Metrics): Promise<{ contentType: string; body: string }> {
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}
