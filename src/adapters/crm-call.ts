/**
 * The inner retry layer (ARCHITECTURE §2 lesson 14): every CRM call goes through the rate limiter
 * and p-retry, for seconds only. 429 / 5xx / network errors are retried with exponential backoff
 * and jitter; a `Retry-After` (or HubSpot's rate-limit window) pauses the limiter, so the next
 * attempt — and every other caller — waits for it. Anything else stops at once. What still fails
 * goes back to the durable outbox row, which retries on minutes with SQL backoff.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Clock } from '../clock.ts';
import type { CrmSystem } from './crm-port.ts';
import { CrmError } from './crm-error.ts';
import { createRateLimiter, type RateLimiter, type RateLimitSettings } from './rate-limiter.ts';
import type { CrmDeps, CrmLog } from './crm-deps.ts';

export interface RetrySettings {
  /** Retries after the first attempt. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Give up (to the outbox) once this much time went by. */
  maxRetryTimeMs: number;
}

/** 3 retries over at most ~10 s: enough for a rolling-window 429, short enough to free the worker. */
export const DEFAULT_RETRY: RetrySettings = {
  retries: 3,
  minTimeoutMs: 500,
  maxTimeoutMs: 4_000,
  maxRetryTimeMs: 10_000,
};

export interface CrmCaller {
  /** Runs `fn` under the limiter with retries; `fn` must throw `CrmError`s (see `classify`). */
  call<T>(label: string, fn: () => Promise<T>, opts?: CallOptions<T>): Promise<T>;
  /** HTTP calls started so far (attempts included): the bench's calls-per-lead figure. */
  readonly calls: number;
  /** Calls sent and not yet answered. */
  readonly inFlight: number;
}

export interface CallOptions<T = unknown> {
  /**
   * false for creates: a network error after sending leaves it unknown whether the CRM created the
   * record, so it is not retried blindly here; the caller looks for the earlier write first.
   */
  idempotent?: boolean;
  /** Whether the request reads or changes CRM data (see `httpOperation`); default `write`. */
  operation?: CrmOperation;
  /** The HTTP status of a successful answer, when the client library exposes it. */
  statusOf?: (result: T) => number | undefined;
}

export type CrmOperation = 'read' | 'write';

/**
 * One HTTP attempt, reported as it ends (retries are attempts of their own): what
 * `switchboard_crm_calls_total` counts, so read traffic and a 429 storm are visible, not only the
 * outbox's final outcome.
 */
export interface CrmCallRecord {
  crm: CrmSystem;
  /** The adapter's name for the call (`read contact`, `batch set owners`): a small fixed set. */
  call: string;
  operation: CrmOperation;
  /**
   * The HTTP status when the client exposes it (HubSpot); else `2xx` for a success and our error
   * code (`CRM.UNAVAILABLE`…) for a failure (jsforce hides Salesforce's statuses); `network`.
   */
  status: string;
}

/**
 * Read or write by HTTP semantics: GET, and the POSTs that only query (HubSpot `…/search`,
 * `…/batch/read`, a Salesforce composite made of GETs), are reads.
 */
export function httpOperation(method: string, path: string, body?: unknown): CrmOperation {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  const bare = path.split('?')[0] ?? path;
  if (m === 'POST' && /\/(search|batch\/read)$/.test(bare)) return 'read';
  const subs = (body as { compositeRequest?: Array<{ method?: string }> } | undefined)
    ?.compositeRequest;
  if (m === 'POST' && Array.isArray(subs) && subs.every((r) => r.method?.toUpperCase() === 'GET'))
    return 'read';
  return 'write';
}

/** The `status` label for a failed attempt. */
export function failedCallStatus(err: CrmError): string {
  if (err.status !== undefined) return String(err.status);
  return err.code === 'CRM.NETWORK' ? 'network' : err.code;
}

/** A lost connection or a gateway timeout: the request may have been performed. */
export const isAmbiguous = (e: CrmError): boolean =>
  e.code === 'CRM.NETWORK' || e.status === 502 || e.status === 504;

export interface CrmCallerOptions {
  crm: CrmSystem;
  limiter: RateLimiter;
  retry: RetrySettings;
  clock: Clock;
  /** Turns anything the client library threw into a CrmError. */
  classify: (err: unknown) => CrmError;
  signal?: AbortSignal;
  onRetry?: (label: string, err: CrmError, attempt: number) => void;
  /** Every attempt as it ends (metrics). Must not throw. */
  onCall?: (record: CrmCallRecord) => void;
}

export function createCrmCaller(opts: CrmCallerOptions): CrmCaller {
  let calls = 0;
  let inFlight = 0;
  return {
    get calls() {
      return calls;
    },
    get inFlight() {
      return inFlight;
    },
    call<T>(label: string, fn: () => Promise<T>, callOpts?: CallOptions<T>): Promise<T> {
      const operation = callOpts?.operation ?? 'write';
      const report = (status: string) =>
        opts.onCall?.({ crm: opts.crm, call: label, operation, status });
      return pRetry(
        async () => {
          await opts.limiter.take();
          calls++;
          inFlight++;
          try {
            const result = await fn();
            report(String(callOpts?.statusOf?.(result) ?? '2xx'));
            return result;
          } catch (raw) {
            const err = raw instanceof CrmError ? raw : opts.classify(raw);
            report(failedCallStatus(err));
            if (err.retryAfterMs !== undefined && err.code === 'CRM.RATE_LIMITED') {
              opts.limiter.pauseUntil(opts.clock.now().getTime() + err.retryAfterMs);
            }
            const retry = err.retryable && !(callOpts?.idempotent === false && isAmbiguous(err));
            throw retry ? err : new AbortError(err);
          } finally {
            inFlight--;
          }
        },
        {
          retries: opts.retry.retries,
          minTimeout: opts.retry.minTimeoutMs,
          maxTimeout: opts.retry.maxTimeoutMs,
          maxRetryTime: opts.retry.maxRetryTimeMs,
          factor: 2,
          randomize: true,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (error instanceof CrmError) opts.onRetry?.(label, error, attemptNumber);
          },
        },
      );
    },
  };
}

/**
 * The rate limiter and retrying caller, built the same way for every adapter: one place for the
 * pacing defaults and the "CRM call failed; retrying" line operators grep for.
 */
export function createPacedCaller(opts: {
  crm: CrmSystem;
  rate: RateLimitSettings;
  retry?: Partial<RetrySettings>;
  deps: CrmDeps;
  log: CrmLog;
  classify: (err: unknown) => CrmError;
}): { limiter: RateLimiter; caller: CrmCaller } {
  const { crm, deps, log } = opts;
  const limiter = createRateLimiter(opts.rate, deps.clock, deps.sleep);
  const caller = createCrmCaller({
    crm,
    limiter,
    retry: { ...DEFAULT_RETRY, ...opts.retry },
    clock: deps.clock,
    classify: opts.classify,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.onCall ? { onCall: deps.onCall } : {}),
    onRetry: (label, err, attempt) =>
      log.warn(
        { crm, call: label, attempt, code: err.code, status: err.status },
        'CRM call failed; retrying',
      ),
  });
  return { limiter, caller };
}
