import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeHubSpotUri,
  signV1,
  signV2,
  signV3,
  verifyHubSpotSignature,
} from '../../../src/intake/hubspot-signature.ts';

const dir = new URL('../../fixtures/hubspot/', import.meta.url);
const body = fs.readFileSync(new URL('contact-batch.body.json', dir));
const request = JSON.parse(fs.readFileSync(new URL('contact-batch.request.json', dir), 'utf8')) as {
  method: string;
  uri: string;
  client_secret: string;
  headers: Record<string, string>;
};
const ts = Number(request.headers['x-hubspot-request-timestamp']);
const at = (ms: number) => new Date(ms);
const verify = (
  over: Partial<{
    body: Buffer;
    headers: Record<string, string>;
    uri: string;
    now: Date;
    v1v2: boolean;
  }> = {},
) =>
  verifyHubSpotSignature(
    {
      method: request.method,
      uri: over.uri ?? request.uri,
      rawBody: over.body ?? body,
      headers: over.headers ?? request.headers,
    },
    {
      secret: request.client_secret,
      now: over.now ?? at(ts + 1000),
      acceptV1V2: over.v1v2 ?? false,
    },
  );

describe('HubSpot v3 signature', () => {
  it('accepts the recorded delivery at its own time', () => {
    expect(verify()).toEqual({ ok: true, version: 'v3' });
  });

  it('reproduces the PROTOCOLS.md v3 vector', () => {
    const v1Body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    expect(
      signV3(
        'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy',
        'POST',
        'https://www.example.com/webhook_uri',
        v1Body,
        '1700000000000',
      ),
    ).toBe('/pXDSgWeGksQpwCsgqd43P0eY6gBIse9UX0tfkudUrE=');
  });

  it('rejects a tampered body, a tampered signature and another URL', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('1246978', '1246977'));
    expect(verify({ body: tampered })).toEqual({ ok: false, reason: 'mismatch' });
    expect(
      verify({
        headers: {
          ...request.headers,
          'x-hubspot-signature-v3': 'q+GyESJ6F7vC9fMOe2Qg8xtAX1hjjruryFBD3Ckegis',
        },
      }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verify({ uri: 'https://evil.example.com/webhooks/hubspot' })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a timestamp older than five minutes, or as far in the future', () => {
    expect(verify({ now: at(ts + 5 * 60 * 1000) }).ok).toBe(true);
    expect(verify({ now: at(ts + 5 * 60 * 1000 + 1) })).toEqual({ ok: false, reason: 'stale' });
    expect(verify({ now: at(ts - 5 * 60 * 1000 - 1) })).toEqual({ ok: false, reason: 'stale' });
    expect(verify({ now: new Date() })).toEqual({ ok: false, reason: 'stale' });
  });

  it('rejects a missing or non-numeric timestamp and a missing signature', () => {
    const { 'x-hubspot-request-timestamp': _t, ...noTs } = request.headers;
    expect(verify({ headers: noTs })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(
      verify({ headers: { ...request.headers, 'x-hubspot-request-timestamp': 'yesterday' } }),
    ).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
    expect(verify({ headers: { 'content-type': 'application/json' } })).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('decodes exactly the twelve characters of HubSpot’s table', () => {
    expect(
      decodeHubSpotUri(
        'https://x.example/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm%20n%2a',
      ),
    ).toBe("https://x.example/a:b/c?d@e!f$g'h(i)j*k,l;m%20n*");
    const uri = 'https://x.example/hook?email=a%40b.example';
    const sig = signV3('s', 'POST', 'https://x.example/hook?email=a@b.example', '[]', String(ts));
    expect(
      verifyHubSpotSignature(
        {
          method: 'POST',
          uri,
          rawBody: Buffer.from('[]'),
          headers: { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': String(ts) },
        },
        { secret: 's', now: at(ts), acceptV1V2: false },
      ).ok,
    ).toBe(true);
  });
});

describe('HubSpot v1/v2 signatures (opt-in)', () => {
  const legacy = {
    'content-type': 'application/json',
    'x-hubspot-signature': request.headers['x-hubspot-signature']!,
    'x-hubspot-signature-version': 'v1',
  };

  it('accepts the recorded v1 signature only when HUBSPOT_ACCEPT_V1V2 is on', () => {
    expect(verify({ headers: legacy, v1v2: true })).toEqual({ ok: true, version: 'v1' });
    expect(verify({ headers: legacy, v1v2: false })).toEqual({
      ok: false,
      reason: 'version_not_accepted',
    });
    expect(verify({ headers: legacy, v1v2: true, body: Buffer.from('[]') })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('reproduces the documented v1 and v2 vectors', () => {
    const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
    const v1Body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    expect(signV1(secret, v1Body)).toBe(
      '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
    );
    expect(signV2(secret, 'GET', 'https://www.example.com/webhook_uri', '')).toBe(
      'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e',
    );
    expect(
      signV2(
        secret,
        'POST',
        'https://www.example.com/webhook_uri',
        '{"example_field":"example_value"}',
      ),
    ).toBe('9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900');
  });

  it('prefers v3 when both are present: a bad v3 is not rescued by a good v1', () => {
    const both = { ...request.headers, 'x-hubspot-signature-v3': 'AAAA' };
    expect(verify({ headers: both, v1v2: true })).toEqual({ ok: false, reason: 'mismatch' });
  });
});
