/**
 * Replay of 10,000 stored leads under two configs (the example config and a proposal that raises
 * the strategic threshold and moves partner leads), with the diff and its markdown: once from
 * memory (the routing and diff alone) and once end to end from the store (read the leads with
 * their decision times from an in-memory PGlite, replay, diff, format). Opening and seeding the
 * database is not timed: that is setup, not replay.
 *
 * Target (issue 8): ≤ 2 s for 10,000 leads.
 */
import { sql } from 'kysely';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_EXTENSIONS } from '../src/config-file.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { parseRoutingConfig } from '../src/routing/parse-config.ts';
import type { RoutingConfig } from '../src/routing/routing-config.ts';
import { replayLeads, type ReplayLead } from '../src/revops/replay.ts';
import { formatReplayMarkdown } from '../src/revops/replay-format.ts';
import { readStoredLeads } from '../src/revops/stored-leads.ts';
import type { BenchRow } from './report.ts';
import { syntheticLeads } from './synthetic-leads.ts';

const N = 10_000;
const TARGET_MS = 2_000;

function configs(): { base: RoutingConfig; proposed: RoutingConfig } {
  const text = readFileSync(join(import.meta.dirname, '../config/routing.yaml'), 'utf8');
  const proposedText = text
    .replace('{ employees: { gte: 250 } }', '{ employees: { gte: 500 } }')
    .replace(/(- id: partner_referral[\s\S]*?handler: )theo/, '$1jordan');
  const parse = (t: string, name: string) => {
    const r = parseRoutingConfig(t, name, { extensions: CONFIG_EXTENSIONS });
    if (!r.ok) throw new Error(`${name} is invalid: ${r.issues[0]?.message}`);
    return r.config;
  };
  return {
    base: parse(text, 'config/routing.yaml'),
    proposed: parse(proposedText, 'proposed.yaml'),
  };
}

/** Leads arriving over 30 days, one decision time each. */
function leads(): ReplayLead[] {
  const start = Date.parse('2026-11-02T16:00:00Z');
  return syntheticLeads(N, 11).map((lead, i) => {
    const at = new Date(start + Math.floor((i * 30 * 86_400_000) / N));
    return {
      id: String(i + 1),
      label: lead.company!,
      raw: { ...lead, created_at: at.toISOString() },
      at,
    };
  });
}

export async function run(): Promise<BenchRow[]> {
  const { base, proposed } = configs();
  const input = leads();
  const rows: BenchRow[] = [];

  replayLeads(base, proposed, input.slice(0, 500)); // warm-up
  let best = Infinity;
  let changed = 0;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const r = replayLeads(base, proposed, input);
    formatReplayMarkdown(r);
    best = Math.min(best, performance.now() - t0);
    changed = r.changed.length;
  }
  rows.push({
    name: 'replay 10,000 leads, two configs + diff (in memory)',
    figure: Math.round(best),
    unit: 'ms',
    target: `≤ ${TARGET_MS.toLocaleString('en-US')} ms`,
    met: best <= TARGET_MS,
    note: `${changed.toLocaleString('en-US')} leads changed; best of 3; markdown included`,
  });

  const handle = await openDatabase({ dataDir: null });
  try {
    await migrate(handle);
    for (let i = 0; i < input.length; i += 1_000) {
      const batch = input.slice(i, i + 1_000);
      await sql`
        insert into leads (crm_system, crm_object, crm_id, lead, created_at)
        values ${sql.join(
          batch.map(
            (l) =>
              sql`('json', 'lead', ${`bench-${l.id}`}, ${JSON.stringify(l.raw)}::jsonb, ${l.at!.toISOString()})`,
          ),
        )}`.execute(handle.db);
    }
    let bestDb = Infinity;
    let read = 0;
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      const stored = await readStoredLeads(handle.db, { last: N });
      const r = replayLeads(base, proposed, stored);
      formatReplayMarkdown(r);
      bestDb = Math.min(bestDb, performance.now() - t0);
      read = stored.length;
    }
    rows.push({
      name: 'replay 10,000 stored leads end to end (read PGlite + two configs + diff)',
      figure: Math.round(bestDb),
      unit: 'ms',
      target: `≤ ${TARGET_MS.toLocaleString('en-US')} ms`,
      met: bestDb <= TARGET_MS,
      note: `${read.toLocaleString('en-US')} leads read from in-memory PGlite; best of 2; open and seed not timed`,
    });
  } finally {
    await handle.close();
  }
  return rows;
}
