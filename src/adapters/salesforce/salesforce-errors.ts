/**
 * jsforce errors and composite sub-responses → CrmError. jsforce throws `HttpApiError` with the
 * Salesforce `errorCode` (or `ERROR_HTTP_<status>` when the body was not an error array), not the
 * status, so the code is what we classify on (PROTOCOLS §5, "Errors").
 */
import { CrmError } from '../crm-error.ts';

export interface SalesforceErrorItem {
  errorCode?: string;
  message?: string;
  fields?: string[];
}

const UNAVAILABLE = new Set([
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
]);
const NOT_FOUND = new Set(['NOT_FOUND', 'ENTITY_IS_DELETED', 'INVALID_ID_FIELD']);

/** Classifies one Salesforce error (`status` when known: composite sub-responses carry it). */
export function salesforceError(
  item: SalesforceErrorItem,
  what: string,
  status?: number,
  cause?: unknown,
): CrmError {
  const code = item.errorCode ?? '';
  const httpStatus =
    status ?? (/^ERROR_HTTP_(\d{3})$/.exec(code) ? Number(code.slice(11)) : undefined);
  const init = {
    crm: 'salesforce' as const,
    ...(httpStatus === undefined ? {} : { status: httpStatus }),
    crmMessage: item.message ?? code,
    crmCode: code,
    ...(cause === undefined ? {} : { cause }),
  };
  const ownerField = (item.fields ?? []).includes('OwnerId') || /owner/i.test(item.message ?? '');
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    // "ConcurrentPerOrgLongTxn" is the 25-long-calls cap: it clears in seconds, unlike the 24 h allocation.
    return /concurrent/i.test(item.message ?? '')
      ? new CrmError('CRM.RATE_LIMITED', `Salesforce concurrency limit hit during ${what}`, init)
      : new CrmError(
          'CRM.QUOTA_EXHAUSTED',
          `Salesforce org API allocation spent during ${what}`,
          init,
        );
  }
  if (
    UNAVAILABLE.has(code) ||
    (httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429 || httpStatus === 420))
  ) {
    return new CrmError(
      httpStatus === 429 ? 'CRM.RATE_LIMITED' : 'CRM.UNAVAILABLE',
      `Salesforce unavailable${httpStatus ? ` (${httpStatus})` : ''} during ${what}`,
      init,
    );
  }
  if (
    code === 'INVALID_SESSION_ID' ||
    code === 'INVALID_AUTH_HEADER' ||
    httpStatus === 401 ||
    code === 'invalid_grant' ||
    code === 'invalid_client'
  ) {
    return new CrmError(
      'CRM.AUTH',
      `Salesforce refused our session during ${what}: check the SALESFORCE_* credentials`,
      init,
    );
  }
  if (
    code === 'INACTIVE_OWNER_OR_USER' ||
    (code === 'INVALID_CROSS_REFERENCE_KEY' && ownerField) ||
    (code === 'MALFORMED_ID' && ownerField)
  ) {
    return new CrmError(
      'CRM.UNKNOWN_OWNER',
      `Salesforce rejected the owner id during ${what}`,
      init,
    );
  }
  if (NOT_FOUND.has(code) || httpStatus === 404) {
    return new CrmError('CRM.NOT_FOUND', `Salesforce has no such record (${what})`, init);
  }
  return new CrmError('CRM.INVALID', `Salesforce rejected ${what}`, init);
}

/** Anything jsforce threw (HttpApiError, FetchError, token errors) → CrmError. */
export function salesforceThrownError(err: unknown, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const e = err as {
    name?: string;
    errorCode?: string;
    code?: string;
    message?: string;
    type?: string;
  };
  if (
    e?.name === 'FetchError' ||
    e?.name === 'AbortError' ||
    /ECONN|ETIMEDOUT|EPIPE|socket hang up/i.test(`${e?.code ?? ''} ${e?.message ?? ''}`)
  ) {
    return new CrmError(
      'CRM.NETWORK',
      `Salesforce did not answer ${what}: ${e?.message ?? String(err)}`,
      {
        crm: 'salesforce',
        cause: err,
      },
    );
  }
  if (
    e?.errorCode ||
    (e?.name && /^[A-Z_]+$/.test(e.name)) ||
    e?.name === 'invalid_grant' ||
    e?.name === 'invalid_client'
  ) {
    return salesforceError(
      { errorCode: e.errorCode ?? e.name, message: e.message ?? '' },
      what,
      undefined,
      err,
    );
  }
  return new CrmError(
    'CRM.BAD_RESPONSE',
    `Salesforce answer to ${what} could not be read: ${e?.message ?? String(err)}`,
    {
      crm: 'salesforce',
      cause: err,
    },
  );
}
