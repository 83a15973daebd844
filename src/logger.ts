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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'switchboard' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
