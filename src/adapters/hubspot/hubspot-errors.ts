/** HubSpot answers → CrmError (status, `category`, `policyName`, rate-limit headers). */
import { CrmError, parseRetryAfter } from '../crm-error.ts';

export interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  subCategory?: string;
  policyName?: string;
  errors?: Array<{ message?: string; code?: string; context?: Record<string, unknown> }>;
}

const header = (h: Record<string, string>, name: string) => h[name.toLowerCase()];

/** HubSpot rejects an unknown or deactivated `hubspot_owner_id` with a 400 VALIDATION_ERROR. */
function isOwnerRejection(body: HubSpotErrorBody, raw: string): boolean {
  return /INVALID_OWNER_ID|hubspot_owner_id|not a valid owner/i.test(
    `${body.message ?? ''} ${JSON.stringify(body.errors ?? [])} ${raw}`,
  );
}

export function hubspotHttpError(
  status: number,
  body: HubSpotErrorBody,
  raw: string,
  headers: Record<string, string>,
  nowMs: number,
  what: string,
): CrmError {
  const init = {
    crm: 'hubspot' as const,
    status,
    crmMessage: body.message ?? raw.slice(0, 500),
    crmCode: body.policyName ?? body.category,
  };
  if (status === 429) {
    if (body.policyName === 'DAILY') {
      return new CrmError(
        'CRM.QUOTA_EXHAUSTED',
        `HubSpot daily API limit reached during ${what}`,
        init,
      );
    }
    const retryAfterMs =
      parseRetryAfter(header(headers, 'retry-after'), nowMs) ??
      parseRetryAfter(
        header(headers, 'x-hubspot-ratelimit-interval-milliseconds') !== undefined
          ? String(Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds')) / 1000)
          : undefined,
        nowMs,
      );
    return new CrmError('CRM.RATE_LIMITED', `HubSpot rate limit hit during ${what}`, {
      ...init,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500 || status === 423 || status === 477) {
    const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'), nowMs);
    return new CrmError('CRM.UNAVAILABLE', `HubSpot unavailable (${status}) during ${what}`, {
      ...init,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) {
    return new CrmError(
      'CRM.AUTH',
      `HubSpot refused the access token during ${what}: check HUBSPOT_ACCESS_TOKEN and the private app's scopes`,
      init,
    );
  }
  if (status === 404)
    return new CrmError('CRM.NOT_FOUND', `HubSpot has no such record (${what})`, init);
  if (status === 400 && isOwnerRejection(body, raw)) {
    return new CrmError('CRM.UNKNOWN_OWNER', `HubSpot rejected the owner id during ${what}`, init);
  }
  return new CrmError('CRM.INVALID', `HubSpot rejected ${what} (${status})`, init);
}

/** Errors thrown before any answer: refused/reset connections, timeouts, bad JSON. */
export function hubspotThrownError(err: unknown, what: string): CrmError {
  if (err instanceof CrmError) return err;
  const e = err as { name?: string; code?: string; message?: string; type?: string };
  if (
    e?.name === 'FetchError' ||
    /ECONN|ETIMEDOUT|EPIPE|socket hang up|network/i.test(`${e?.code} ${e?.message}`)
  ) {
    return new CrmError('CRM.NETWORK', `HubSpot did not answer ${what}: ${e?.message ?? e}`, {
      crm: 'hubspot',
      cause: err,
    });
  }
  return new CrmError(
    'CRM.BAD_RESPONSE',
    `HubSpot answer to ${what} could not be read: ${e?.message ?? e}`,
    {
      crm: 'hubspot',
      cause: err,
    },
  );
}
