/** `Authorization: Bearer <token>` checked in constant time against a configured token. */
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SwitchboardError } from '../errors.ts';

export function requireBearer(
  req: FastifyRequest,
  expected: string | undefined,
  envName: string,
): void {
  if (!expected) {
    throw new SwitchboardError(
      'AUTH.NOT_CONFIGURED',
      `This endpoint is disabled until ${envName} is set on the server.`,
      403,
    );
  }
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m || !safeEqual(m[1]!.trim(), expected)) {
    throw new SwitchboardError(
      'AUTH.UNAUTHORIZED',
      `Send "Authorization: Bearer <${envName}>".`,
      401,
    );
  }
}

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
