/**
 * Typed CRM failures. Every adapter turns its client library's errors into a `CrmError` so the
 * retry policy, the outbox and the trace can decide on `retryable` and `code` alone, never on a
 * vendor exception class.
 */
import type { CrmSystem } from './crm-port.ts';

export type CrmErrorCode =
  /** 429 or a rolling-window limit: retry after `retryAfterMs`. */
  | 'CRM.RATE_LIMITED'
  /** Daily / 24 h allocation spent (HubSpot 429 DAILY, Salesforce 403 REQUEST_LIMIT_EXCEEDED). */
  | 'CRM.QUOTA_EXHAUSTED'
  /** 5xx, 423, or HubSpot's 477/52x: the CRM is down or busy. */
  | 'CRM.UNAVAILABLE'
  /** The connection failed or the answer never came. */
  | 'CRM.NETWORK'
  /** 401/403: the token is wrong, expired past refresh, or lacks a scope. */
  | 'CRM.AUTH'
  /** The handler's CRM owner id does not exist (or is inactive): fall to the backup. */
  | 'CRM.UNKNOWN_OWNER'
  /** The contact / lead is gone (deleted or merged). */
  | 'CRM.NOT_FOUND'
  /** 400-class rejection of our write (validation rule, bad picklist value, field missing). */
  | 'CRM.INVALID'
  /** The CRM answered something we could not read. */
  | 'CRM.BAD_RESPONSE';

const RETRYABLE: ReadonlySet<CrmErrorCode> = new Set([
  'CRM.RATE_LIMITED',
  'CRM.UNAVAILABLE',
  'CRM.NETWORK',
]);

export interface CrmErrorInit {
  crm: CrmSystem;
  status?: number;
  /** The CRM's own words, kept verbatim for the parked row and the admin API. */
  crmMessage?: string;
  /** The CRM's machine code: HubSpot `category`/`policyName`, Salesforce `errorCode`. */
  crmCode?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class CrmError extends Error {
  readonly code: CrmErrorCode;
  readonly crm: CrmSystem;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly crmMessage: string | undefined;
  readonly crmCode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: CrmErrorCode, message: string, init: CrmErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CrmError';
    this.code = code;
    this.crm = init.crm;
    this.status = init.status;
    this.retryable = RETRYABLE.has(code);
    this.crmMessage = init.crmMessage;
    this.crmCode = init.crmCode;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** One line for `crm_writes.last_error`: our code, the status and the CRM's own message. */
  toLine(): string {
    const status = this.status === undefined ? '' : ` ${this.status}`;
    const crm = this.crmMessage
      ? ` (${this.crm}: ${this.crmCode ? `${this.crmCode} ` : ''}${this.crmMessage})`
      : '';
    return `${this.code}${status}: ${this.message}${crm}`;
  }
}

export const isCrmError = (e: unknown): e is CrmError => e instanceof CrmError;

/** Parses `Retry-After` (delta seconds or an HTTP date) into ms; undefined when absent or bad. */
export function parseRetryAfter(
  value: string | undefined | null,
  nowMs: number,
): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
