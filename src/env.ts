/**
 * The environment, parsed once. This is the only file that reads `process.env`; everything else
 * receives the frozen `Env` it returns. Every bad variable is reported at once, so an operator
 * fixes the deployment in one round trip instead of one variable per restart.
 */
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (what: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional()
    .refine((v) => v === undefined || URL.canParse(v), { message: `must be a full URL (${what})` });

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes'].includes(v)));

const list = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? fallback
        : v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
    );

const intIn = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

export const EnvSchema = z.object({
  PORT: intIn(3000, 0, 65535),
  /** Address to bind; 0.0.0.0 in containers. */
  HOST: z.string().default('0.0.0.0'),
  /** Real Postgres. Unset: embedded PGlite in PGLITE_DIR. */
  DATABASE_URL: url('postgres://user@host:5432/db'),
  PGLITE_DIR: z.string().default('.switchboard/pglite'),
  /** Connections per instance when DATABASE_URL is set. */
  DATABASE_POOL_MAX: intIn(10, 1, 200),
  /** Named prepared statements for repeated SQL (pg only); off behind PgBouncer < 1.21 in transaction mode. */
  DATABASE_PREPARED_STATEMENTS: bool(true),
  ROUTING_CONFIG: z.string().default('config/routing.yaml'),
  /** Shadow mode: a second routing config decided alongside every live decision and only recorded (never written to the CRM). */
  SHADOW_CONFIG: optionalText,
  CRM: z.enum(['dryrun', 'hubspot', 'salesforce']).default('dryrun'),
  HUBSPOT_ACCESS_TOKEN: optionalText,
  HUBSPOT_CLIENT_SECRET: optionalText,
  HUBSPOT_BASE_URL: url('HubSpot API base, default https://api.hubapi.com'),
  /** Also accept legacy v1/v2 signatures (workflow "Send a webhook" actions sign with v2). */
  HUBSPOT_ACCEPT_V1V2: bool(false),
  /** `contact.propertyChange` that re-routes: `property` or `property=value`, comma-separated. */
  HUBSPOT_REROUTE_ON: list(['lifecyclestage=marketingqualifiedlead']),
  /** `contact.propertyChange` recorded as engagement for fallback checkpoints. */
  HUBSPOT_ENGAGEMENT_PROPERTIES: list([
    'hs_sales_email_last_opened',
    'hs_sales_email_last_replied',
    'notes_last_contacted',
    'hs_last_sales_activity_timestamp',
    'hs_lead_status',
  ]),
  SALESFORCE_INSTANCE_URL: url('e.g. https://acme.my.salesforce.com'),
  SALESFORCE_LOGIN_URL: url('e.g. https://login.salesforce.com'),
  SALESFORCE_CLIENT_ID: optionalText,
  SALESFORCE_CLIENT_SECRET: optionalText,
  SALESFORCE_PRIVATE_KEY: optionalText,
  SALESFORCE_PRIVATE_KEY_FILE: optionalText,
  SALESFORCE_USERNAME: optionalText,
  SALESFORCE_ACCESS_TOKEN: optionalText,
  /** REST API version for jsforce (it defaults to 50.0 otherwise). */
  SALESFORCE_API_VERSION: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'must look like 62.0')
    .default('62.0'),
  /** External-id Text field on Task that carries Switchboard's idempotency key. */
  SALESFORCE_TASK_KEY_FIELD: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'must be a custom field API name ending in __c')
    .default('Switchboard_Key__c'),
  /**
   * Share of the Salesforce org's 24 h API allowance (percent, from `Sforce-Limit-Info`) above which
   * Switchboard paces itself to the allowance's refill rate and refuses non-urgent reads.
   */
  SALESFORCE_API_USAGE_THRESHOLD_PERCENT: intIn(90, 1, 100),
  /** Client-side CRM pacing: calls per interval (default HubSpot 100 per 10 s, Salesforce 25 per 1 s). */
  CRM_RATE_LIMIT_MAX: intIn(0, 0, 100_000),
  CRM_RATE_LIMIT_INTERVAL_MS: intIn(0, 0, 86_400_000),
  /** CRM outbox runner: rows claimed per round, idle poll, and when an in-flight lock counts as stale. */
  OUTBOX_BATCH_SIZE: intIn(100, 1, 500),
  OUTBOX_POLL_MS: intIn(1000, 50, 600_000),
  OUTBOX_STALE_LOCK_MS: intIn(300_000, 10_000, 86_400_000),
  /** Outbound messages from any other org are refused. */
  SALESFORCE_ORG_ID: optionalText,
  /** Optional shared secret Salesforce must send as `?token=` (outbound messages carry no signature). */
  SALESFORCE_WEBHOOK_TOKEN: optionalText,
  ADMIN_TOKEN: optionalText,
  INTAKE_TOKEN: optionalText,
  /** Bearer token for GET /metrics; unset leaves it open (scraped from a private network). */
  METRICS_TOKEN: optionalText,
  /** External base URL HubSpot calls (scheme + host [+ prefix]); proxies rewrite host and scheme. */
  PUBLIC_URL: url('e.g. https://switchboard.example.com'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Write each log line at once instead of buffering up to 200 ms (src/logger.ts). */
  LOG_SYNC: bool(false),
  /** Largest accepted request body. 100 HubSpot events are about 30 KB; 100 Salesforce notifications well under 1 MB. */
  BODY_LIMIT_BYTES: intIn(1_048_576, 1024, 50 * 1_048_576),
  /** Inbox worker: rows claimed per round and the idle poll interval (LISTEN/NOTIFY wakes it sooner). */
  WORKER_BATCH_SIZE: intIn(100, 1, 500),
  WORKER_POLL_MS: intIn(2000, 50, 600_000),
  /** An inbox lock older than this belongs to a dead worker and is swept back to pending. */
  WORKER_STALE_LOCK_MS: intIn(300_000, 10_000, 86_400_000),
  /** Attempts before an inbox event is parked with its error. */
  WORKER_MAX_ATTEMPTS: intIn(10, 1, 100),
  /** Run the inbox worker in this process (turn off for an intake-only instance). */
  WORKER_ENABLED: bool(true),
  /** Engagement poll (early exit): a lead with pending checkpoints is read again when its last read is this old; 0 disables. */
  ENGAGEMENT_POLL_MS: intIn(600_000, 0, 86_400_000),
  /** Milliseconds graceful shutdown waits for in-flight work before giving up. */
  SHUTDOWN_TIMEOUT_MS: intIn(10_000, 0, 600_000),
});

export type Env = Readonly<z.infer<typeof EnvSchema>>;

export class EnvError extends Error {
  readonly code = 'ENV.INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Parses `source` (default `process.env`); throws EnvError listing every bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const res = EnvSchema.safeParse(source);
  if (!res.success) {
    throw new EnvError(
      res.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        const got = source[name];
        return `${name}: ${i.message}${got === undefined || /TOKEN|SECRET|KEY/.test(name) ? '' : ` (got "${got}")`}`;
      }),
    );
  }
  return Object.freeze(res.data);
}
