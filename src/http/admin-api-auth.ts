/**
 * The admin token, checked in constant time, from either an `Authorization: Bearer` header (the
 * API, curl) or the `sb_admin` cookie set by the operator page's login form (a browser cannot
 * send a header on a plain link). A wrong or missing token gets the same short 401 whatever was
 * wrong, so the answer tells a prober nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from './bearer-auth.ts';

export const ADMIN_COOKIE = 'sb_admin';

export const UNAUTHORIZED_BODY = {
  error: { code: 'AUTH.UNAUTHORIZED', message: 'Send "Authorization: Bearer <ADMIN_TOKEN>".' },
} as const;

export const NOT_CONFIGURED_BODY = {
  error: {
    code: 'AUTH.NOT_CONFIGURED',
    message: 'The admin API is disabled until ADMIN_TOKEN is set on the server.',
  },
} as const;

/** The token a request presents: the Bearer header wins over the cookie. */
export function presentedAdminToken(req: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (m) return m[1]!.trim();
  return readCookie(req.headers.cookie, ADMIN_COOKIE);
}

export function isAdmin(req: FastifyRequest, expected: string | undefined): boolean {
  const got = presentedAdminToken(req);
  return Boolean(expected) && got !== undefined && safeEqual(got, expected!);
}

/** An onRequest hook for a scope of admin routes. */
export function adminGuard(expected: string | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) return void (await reply.status(403).send(NOT_CONFIGURED_BODY));
    if (!isAdmin(req, expected)) return void (await reply.status(401).send(UNAUTHORIZED_BODY));
  };
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
