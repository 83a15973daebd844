/** `/healthz`: the process answers. `/readyz`: the database answers and a routing config is loaded. */
import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../db/database.ts';

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { handle: DatabaseHandle; configLoaded: () => boolean },
): void {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['ops'] } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: database and config', tags: ['ops'] } },
    async (req, reply) => {
      const db = await pingWithin(deps.handle, 2000)
        .then(() => 'ok' as const)
        .catch((err: unknown) => {
          req.log.warn({ err }, 'readiness: database unreachable');
          return 'unreachable' as const;
        });
      const config = deps.configLoaded() ? 'loaded' : 'missing';
      const ready = db === 'ok' && config === 'loaded';
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', db, config });
    },
  );
}

async function pingWithin(handle: DatabaseHandle, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      handle.ping(),
      new Promise((_, reject) => {
        t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}
