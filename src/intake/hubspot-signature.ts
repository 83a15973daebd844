/**
 * HubSpot webhook signatures (PROTOCOLS.md §1.4). v3: base64 HMAC-SHA256 over
 * method + URI + raw body + timestamp, URI decoded through HubSpot's 12-entry table only,
 * timestamp (ms) no older than 5 minutes. v1/v2 (hex SHA-256 of secret + …) only when opted in:
 * workflow "Send a webhook" actions sign with v2. Our own code, because the SDK helper compares
 * with `===` and does not decode the URI.
 */
import crypto from 'node:crypto';

export const MAX_SIGNATURE_AGE_MS = 5 * 60 * 1000;

const DECODE: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** Decodes exactly HubSpot's table and nothing else (so `%20` stays `%20`). */
export function decodeHubSpotUri(uri: string): string {
  return uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODE[m.toUpperCase()] ?? m,
  );
}

export function signV3(
  secret: string,
  method: string,
  uri: string,
  body: Buffer | string,
  timestamp: string,
): string {
  // Three updates instead of one concatenated copy of the body: same MAC, no per-request buffers.
  return crypto
    .createHmac('sha256', secret)
    .update(method + decodeHubSpotUri(uri), 'utf8')
    .update(body)
    .update(timestamp, 'utf8')
    .digest('base64');
}

export function signV1(secret: string, body: Buffer | string): string {
  return crypto
    .createHash('sha256')
    .update(Buffer.concat([Buffer.from(secret, 'utf8'), Buffer.from(body)]))
    .digest('hex');
}

export function signV2(secret: string, method: string, uri: string, body: Buffer | string): string {
  return crypto
    .createHash('sha256')
    .update(Buffer.concat([Buffer.from(secret + method + uri, 'utf8'), Buffer.from(body)]))
    .digest('hex');
}

export interface SignedRequest {
  method: string;
  /** The full URI HubSpot called: `https://host/path?query`. */
  uri: string;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export type SignatureResult =
  | { ok: true; version: 'v1' | 'v2' | 'v3' }
  | {
      ok: false;
      reason: 'missing' | 'stale' | 'mismatch' | 'bad_timestamp' | 'version_not_accepted';
    };

export function verifyHubSpotSignature(
  req: SignedRequest,
  opts: { secret: string; now: Date; acceptV1V2: boolean },
): SignatureResult {
  const v3 = header(req.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const ts = header(req.headers, 'x-hubspot-request-timestamp');
    if (ts === undefined || !/^\d{10,16}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
    const age = opts.now.getTime() - Number(ts);
    // Also refuse timestamps far in the future: a captured request must not stay valid longer.
    if (age > MAX_SIGNATURE_AGE_MS || age < -MAX_SIGNATURE_AGE_MS)
      return { ok: false, reason: 'stale' };
    const expected = signV3(opts.secret, req.method, req.uri, req.rawBody, ts);
    return equal(v3, expected) ? { ok: true, version: 'v3' } : { ok: false, reason: 'mismatch' };
  }
  const legacy = header(req.headers, 'x-hubspot-signature');
  if (legacy === undefined) return { ok: false, reason: 'missing' };
  if (!opts.acceptV1V2) return { ok: false, reason: 'version_not_accepted' };
  const version = (header(req.headers, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  const expected =
    version === 'v2'
      ? signV2(opts.secret, req.method, req.uri, req.rawBody)
      : version === 'v1'
        ? signV1(opts.secret, req.rawBody)
        : null;
  if (expected === null) return { ok: false, reason: 'version_not_accepted' };
  return equal(legacy.toLowerCase(), expected)
    ? { ok: true, version: version as 'v1' | 'v2' }
    : { ok: false, reason: 'mismatch' };
}

function header(h: SignedRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function equal(got: string, expected: string): boolean {
  const a = Buffer.from(got, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
