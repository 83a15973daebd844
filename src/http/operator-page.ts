/**
 * `GET /ops`: the operator page, behind the admin token. A browser signs in once with a form
 * (`POST /ops/login`, token in the body, never in a URL that lands in logs or history) or follows
 * `/ops?token=…` once (answered with a redirect that drops the token from the address bar); both
 * set an HttpOnly, SameSite=Strict cookie scoped to /ops. `Authorization: Bearer` works too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Env } from '../env.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { ConfigHolder } from '../config-reload.ts';
import { safeEqual } from './bearer-auth.ts';
import { ADMIN_COOKIE, isAdmin } from './admin-api-auth.ts';
import { listOpenSlas, listParked, listRecentDecisions } from './admin-api-queries.ts';
import { renderLoginPage, renderOperatorPage } from './operator-page-html.ts';

export interface OperatorPageDeps {
  env: Env;
  handle: DatabaseHandle;
  clock: Clock;
  config?: ConfigHolder;
}

const COOKIE_MAX_AGE_S = 8 * 3600;

export async function registerOperatorPage(
  app: FastifyInstance,
  deps: OperatorPageDeps,
): Promise<void> {
  await app.register(async (scope) => {
    // Only this scope parses HTML forms; the rest of the service keeps JSON/XML only.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const hide = { schema: { hide: true } };
    const expected = deps.env.ADMIN_TOKEN;
    const secure = (deps.env.PUBLIC_URL ?? '').startsWith('https:');

    const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
      reply.header(
        'set-cookie',
        `${ADMIN_COOKIE}=${encodeURIComponent(value)}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`,
      );
    const login = (reply: FastifyReply, failed: boolean) =>
      reply
        .status(expected ? 401 : 403)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(renderLoginPage({ failed, configured: Boolean(expected) }));

    scope.get<{ Querystring: { token?: string } }>('/ops', hide, async (req, reply) => {
      const q = req.query.token;
      if (q !== undefined) {
        if (expected && safeEqual(q, expected))
          return setCookie(reply, q, COOKIE_MAX_AGE_S).redirect('/ops', 303);
        return login(reply, true);
      }
      if (!isAdmin(req, expected)) return login(reply, false);
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await page(req, deps));
    });

    scope.post<{ Body: { token?: string } }>('/ops/login', hide, async (req, reply) => {
      const token = typeof req.body?.token === 'string' ? req.body.token : '';
      if (expected && safeEqual(token, expected))
        return setCookie(reply, token, COOKIE_MAX_AGE_S).redirect('/ops', 303);
      return login(reply, true);
    });

    scope.post('/ops/logout', hide, async (_req, reply) =>
      setCookie(reply, '', 0).redirect('/ops', 303),
    );
  });
}

async function page(_req: FastifyRequest, deps: OperatorPageDeps): Promise<string> {
  const now = deps.clock.now();
  const db = deps.handle.db;
  const [decisions, slas, parked] = await Promise.all([
    listRecentDecisions(db, 50),
    listOpenSlas(db, now, 50),
    listParked(db, now, 50),
  ]);
  return renderOperatorPage({
    now,
    config: deps.config?.current() ?? null,
    lastReload: deps.config?.lastReload() ?? null,
    decisions,
    slas,
    parked,
  });
}
