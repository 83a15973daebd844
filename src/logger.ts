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

/**
 * The service's stdout. Buffered by default: lines go out in writes of at least 4 KiB, or every
 * 200 ms when fewer are waiting, through libuv's thread pool. One synchronous write per line cost
 * the service ~40 µs of CPU per webhook at 1,500 webhooks/s, and the process reading the pipe
 * about as much again (issue 5, docs/performance.md). pino flushes what is left synchronously
 * when the process exits; `flushLog` lets a shutdown wait for the write in flight too. A process
 * killed with SIGKILL loses up to 200 ms of lines: `LOG_SYNC=true` writes each line at once.
 * Beyond 16 MiB unwritten (stdout's reader stalled), lines are dropped rather than held.
 */
export function stdoutDestination(sync: boolean): pino.DestinationStream {
  return sync
    ? pino.destination({ dest: 1, sync: true })
    : pino.destination({
        dest: 1,
        sync: false,
        minLength: 4096,
        periodicFlush: 200,
        maxLength: 16 * 1024 * 1024,
      });
}

/**
 * Resolves once every line logged so far is written (at once for a synchronous destination), or
 * after `timeoutMs` if stdout does not drain: an exit must not hang on a stalled reader.
 */
export function flushLog(log: Logger, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    log.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
