/**
 * The one root logger. Redaction is declared once, with explicit paths (pino: wildcards cost
 * more, and paths must never come from input). Secrets and e-mail addresses never reach a log.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hubspot-signature"]',
  'req.headers["x-hubspot-signature-v3"]',
  'req.headers["idempotency-key"]',
  'req.query.token',
  'headers.authorization',
  'lead.email',
  'lead.phone',
  'lead.message',
  'lead.first_name',
  'lead.last_name',
  'email',
  'phone',
  'token',
  'accessToken',
  'clientSecret',
  'password',
];

/** Query parameters whose values never reach a log line (`/ops?token=…`, `/webhooks/salesforce?token=…`). */
const SECRET_QUERY = /([?&](?:token|access_token|key|secret|signature|sig)=)[^&#]*/gi;

/** The request as logged: Fastify's usual fields, with secret query values cut out of the URL. */
export function serializeRequest(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
}): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? req.url.replace(SECRET_QUERY, '$1[redacted]') : req.url,
    host: req.host,
    remoteAddress: req.ip,
  };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Fastify merges these over its own; the URL is the one request field that can carry a secret.
    serializers: { req: serializeRequest },
    base: { service: 'switchboard' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
