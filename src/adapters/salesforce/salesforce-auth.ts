/**
 * Server-to-server OAuth for jsforce: client credentials (a connected app with a run-as user) or
 * the JWT bearer flow (RS256 assertion signed here with node:crypto; jsforce does not sign), or a
 * plain access token for tests and short-lived scripts. The same grant re-runs on a 401, through
 * jsforce's `refreshFn`, because neither server-to-server flow returns a refresh token.
 */
import { createSign } from 'node:crypto';

export type SalesforceAuth =
  | { kind: 'token'; accessToken: string }
  | { kind: 'client_credentials'; clientId: string; clientSecret: string }
  | { kind: 'jwt'; clientId: string; username: string; privateKey: string; audience?: string };

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A JWT bearer assertion: iss = consumer key, sub = username, aud = login URL, exp = now + 3 min. */
export function jwtAssertion(
  auth: Extract<SalesforceAuth, { kind: 'jwt' }>,
  loginUrl: string,
  nowMs: number,
): string {
  const header = b64url(JSON.stringify({ alg: 'RS256' }));
  const claims = b64url(
    JSON.stringify({
      iss: auth.clientId,
      sub: auth.username,
      aud: auth.audience ?? loginUrl.replace(/\/+$/, ''),
      exp: Math.floor(nowMs / 1000) + 180,
    }),
  );
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${claims}`);
  return `${header}.${claims}.${signer.sign(auth.privateKey).toString('base64url')}`;
}

/** The token-request parameters for `conn.authorize`, or null for a plain token. */
export function grantParams(
  auth: SalesforceAuth,
  loginUrl: string,
  nowMs: number,
): Record<string, string> | null {
  switch (auth.kind) {
    case 'token':
      return null;
    case 'client_credentials':
      return { grant_type: 'client_credentials' };
    case 'jwt':
      return {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: jwtAssertion(auth, loginUrl, nowMs),
      };
  }
}
