/**
 * The intake bench's baseline: a bare Fastify route doing one `INSERT … RETURNING id` into the
 * same Postgres through a pg Pool of 10, logger off. Run as its own process by intake.bench.ts:
 *   node --import tsx bench/intake-baseline-server.ts   (env DATABASE_URL, PORT)
 */
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? 0);
if (!url) throw new Error('DATABASE_URL is required');

const pool = new pg.Pool({ connectionString: url, max: 10 });
await pool.query(
  'create table if not exists bench_baseline (id bigint generated always as identity primary key, body jsonb not null, created_at timestamptz not null default now())',
);
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/insert', async (req, reply) => {
  const r = await pool.query<{ id: string }>(
    'insert into bench_baseline (body) values ($1) returning id',
    [JSON.stringify(req.body)],
  );
  return reply.status(200).send({ id: r.rows[0]!.id });
});
await app.listen({ port, host: '127.0.0.1' });
const stop = () => void app.close().then(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
