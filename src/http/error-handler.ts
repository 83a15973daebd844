/**
 * One error handler: typed errors answer with their status and `{ error: { code, message } }`;
 * Fastify's own 4xx (413 body too large, 415 media type, 400 bad JSON) keep their status; anything
 * else is a 500 whose text is logged, not returned.
 */
import type { FastifyInstance, FastifyError } from 'fastify';
import { SwitchboardError } from '../errors.ts';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof SwitchboardError) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      else req.log.info({ code: err.code }, err.message);
      return reply.status(err.status).send(err.toJSON());
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      req.log.info({ code: err.code, status }, err.message);
      return reply
        .status(status)
        .send({ error: { code: err.code ?? 'HTTP.BAD_REQUEST', message: err.message } });
    }
    req.log.error({ err, method: req.method, url: req.url }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: { code: 'INTERNAL', message: 'Internal error; see the server log.' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({
      error: {
        code: 'HTTP.NOT_FOUND',
        message: `No route for ${req.method} ${req.url.split('?')[0]}`,
      },
    });
  });
}
