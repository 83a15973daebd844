// Hand-made stores for the revops tests: leads and the decisions the example config made for them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.ts';
import { emptyRoutingState, type Decision } from '../../../src/routing/decision.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import { route } from '../../../src/routing/route.ts';
import type { RoutingConfig } from '../../../src/routing/routing-config.ts';
import { CONFIG_EXTENSIONS } from '../../../src/config-file.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { createTestDb } from '../../helpers/test-db.ts';

export const EXAMPLE_CONFIG_TEXT = readFileSync('config/routing.yaml', 'utf8');

export function configFromText(text: string, name: string): RoutingConfig {
  const r = parseRoutingConfig(text, name, { extensions: CONFIG_EXTENSIONS });
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.issues)}`);
  return r.config;
}

/** The example config with strategic raised to 500+ people and partner leads moved to jordan. */
export const PROPOSED_CONFIG_TEXT = (() => {
  const t = EXAMPLE_CONFIG_TEXT.replace(
    '{ employees: { gte: 250 } }',
    '{ employees: { gte: 500 } }',
  ).replace(/(- id: partner_referral[\s\S]*?handler: )theo/, '$1jordan');
  if (t === EXAMPLE_CONFIG_TEXT || !t.includes('gte: 500') || !/handler: jordan/.test(t))
    throw new Error('the example config changed: update PROPOSED_CONFIG_TEXT');
  return t;
})();

export const readLead = (name: string): Lead =>
  JSON.parse(readFileSync(`examples/leads/${name}.json`, 'utf8')) as Lead;

let crmSeq = 0;

/** Inserts a lead (raw JSON, may be invalid on purpose) and optionally its decision. */
export async function insertLead(
  db: Kysely<Database>,
  raw: unknown,
  opts: { decision?: Decision; decidedAt?: string } = {},
): Promise<string> {
  crmSeq += 1;
  const r = await sql<{ id: string }>`
    insert into leads (crm_system, crm_object, crm_id, lead, created_at)
    values ('json', 'lead', ${`seed-${process.pid}-${crmSeq}`}, ${JSON.stringify(raw)}::jsonb,
            ${opts.decidedAt ?? new Date().toISOString()})
    returning id`.execute(db);
  const leadId = String(r.rows[0]!.id);
  if (opts.decision) await insertDecision(db, leadId, opts.decision);
  return leadId;
}

export async function insertDecision(
  db: Kysely<Database>,
  leadId: string,
  d: Decision,
  reason: 'route' | 'reroute' = 'route',
): Promise<string> {
  const r = await sql<{ id: string }>`
    insert into decisions (lead_id, reason, config_hash, lead_type, handler_id, decided_at, decision)
    values (${leadId}, ${reason}, ${d.configHash}, ${d.leadType}, ${d.assignee.handlerId},
            ${d.decidedAt}, ${JSON.stringify(d)}::jsonb)
    returning id`.execute(db);
  return String(r.rows[0]!.id);
}

/** Routes `lead` under `config` at its created_at and stores lead + decision. */
export async function storeRouted(
  db: Kysely<Database>,
  config: RoutingConfig,
  lead: Lead,
): Promise<{ leadId: string; decision: Decision }> {
  const decision = route(config, lead, new Date(lead.created_at!), emptyRoutingState());
  const leadId = await insertLead(db, lead, { decision, decidedAt: lead.created_at! });
  return { leadId, decision };
}

/**
 * One seeded store per test file, usable by the store-level tests and then by the CLI (which
 * opens the store itself from the environment): a Postgres clone when DATABASE_URL is set, else
 * a PGlite data directory — opened once, and closed before the CLI opens it (one process may hold
 * a PGlite directory at a time). Opening PGlite is the slow part of these tests, so once is enough.
 */
export interface SeededStore<T> {
  db: Kysely<Database>;
  seeded: T;
  /** Hands the store to the CLI: sets DATABASE_URL or PGLITE_DIR (restored by close()). */
  useFromCli(): Promise<void>;
  close(): Promise<void>;
}

export async function seededStore<T>(
  seed: (db: Kysely<Database>) => Promise<T>,
): Promise<SeededStore<T>> {
  const saved = { url: process.env.DATABASE_URL, dir: process.env.PGLITE_DIR };
  const restore = () => {
    if (saved.url === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved.url;
    if (saved.dir === undefined) delete process.env.PGLITE_DIR;
    else process.env.PGLITE_DIR = saved.dir;
  };
  if (process.env.DATABASE_URL) {
    const tdb = await createTestDb();
    const seeded = await seed(tdb.db);
    return {
      db: tdb.db,
      seeded,
      useFromCli: async () => {
        process.env.DATABASE_URL = tdb.url!;
      },
      close: async () => {
        restore();
        await tdb.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'sb-revops-store-'));
  const h = await openDatabase({ dataDir: dir });
  await migrate(h);
  const seeded = await seed(h.db);
  let open = true;
  const release = async () => {
    if (open) {
      open = false;
      await h.close();
    }
  };
  return {
    db: h.db,
    seeded,
    useFromCli: async () => {
      await release();
      process.env.PGLITE_DIR = dir;
    },
    close: async () => {
      restore();
      await release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
