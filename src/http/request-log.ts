/**
 * One log line per request: `request completed` with the request (method, URL with secret query
 * values cut), status, response time, `reqId` and whatever the route added with `logFields`
 * (what an intake stored). Fastify's default is two lines per request ("incoming request" and
 * "request completed"), and the intake routes added a third: each is a synchronous write to
 * stdout, and at 1,000 webhooks/s those three lines were the largest avoidable cost on the ack
 * path (issue 5; figures in docs/performance.md). "incoming request" is still written at
 * `debug`, for chasing a request that never completes. Errors keep Fastify's own lines.
 */
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from '../logger.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields for this request's one log line; set by the route (`logFields(req, {...})`). */
    requestLogFields: Record<string, unknown> | null;
  }
}

class OneLinePerRequest extends LogController {
  /**
   * Writes the access lines: the root logger without its redaction, because the line is built
   * here from named fields only (the request through its `req` serializer, which cuts secret
   * query values; no headers, no body). pino's redaction pass over those 18 paths was ~60 % of
   * the line's cost (17 → 7 µs per line alone, more under load).
   */
  readonly #access: Logger;

  constructor(root: Logger) {
    super();
    this.#access = root.child({}, { redact: [] });
  }

  override incomingRequest(request: FastifyRequest): void {
    // Installed only over our pino logger (app.ts), whose child loggers have isLevelEnabled.
    if ((request.log as Logger).isLevelEnabled('debug')) {
      request.log.debug({ req: request }, 'incoming request');
    }
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: Parameters<LogController['requestCompleted']>[2],
  ): void {
    if (error) return super.requestCompleted(error, request, reply);
    // Checked first so that below the level the line's object is not even built.
    if (!this.#access.isLevelEnabled('info')) return;
    this.#access.info(
      {
        reqId: request.id,
        ...request.requestLogFields,
        req: request,
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}

export function requestLogController(root: Logger): LogController {
  return new OneLinePerRequest(root);
}

/** Before any route: gives every request its (empty) `requestLogFields`. */
export function installRequestLogFields(app: FastifyInstance): void {
  app.decorateRequest('requestLogFields', null);
}

/** Adds `fields` to this request's one `request completed` line. */
export function logFields(req: FastifyRequest, fields: Record<string, unknown>): void {
  req.requestLogFields = req.requestLogFields ? { ...req.requestLogFields, ...fields } : fields;
}
