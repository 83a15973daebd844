import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/schema.ts';
import type { Kysely } from 'kysely';
import { replayLeads } from '../../../src/revops/replay.ts';
import { formatReplayMarkdown } from '../../../src/revops/replay-format.ts';
import { readStoredLeads } from '../../../src/revops/stored-leads.ts';

import { runCli } from '../../unit/revops/run-cli.ts';
import {
  configFromText,
  EXAMPLE_CONFIG_TEXT,
  insertLead,
  seededStore,
  type SeededStore,
  PROPOSED_CONFIG_TEXT,
  readLead,
  storeRouted,
} from './seed-store.ts';

const base = configFromText(EXAMPLE_CONFIG_TEXT, 'config/routing.yaml');
const proposed = configFromText(PROPOSED_CONFIG_TEXT, 'proposed.yaml');

/** Five leads whose diff under the proposed config is known in advance. */
async function seed(db: Kysely<Database>): Promise<Record<string, string>> {
  const cascadia = readLead('saturday-0243-cascadia');
  const ids: Record<string, string> = {};
  ids.cascadia = (await storeRouted(db, base, cascadia)).leadId;
  ids.partner = (await storeRouted(db, base, readLead('partner-referral'))).leadId;
  ids.small = (await storeRouted(db, base, readLead('small-business'))).leadId;
  ids.big = (
    await storeRouted(db, base, {
      ...cascadia,
      company: 'Huge Freight',
      employees: 1200,
      created_at: '2026-12-03T09:00:00-08:00',
    })
  ).leadId;
  ids.broken = await insertLead(
    db,
    { company: 'Broken Co', employees: 'many' },
    { decidedAt: '2026-12-03T10:00:00-08:00' },
  );
  return ids;
}

let store: SeededStore<Record<string, string>>;
// Opening a PGlite data directory takes 2–30 s depending on machine load; be generous.
const SLOW = 180_000;
beforeAll(async () => {
  store = await seededStore(seed);
}, SLOW);
afterAll(async () => {
  await store?.close();
});

describe('replay on a hand-made store', () => {
  let tdb: { db: Kysely<Database> };
  let ids: Record<string, string>;
  beforeAll(() => {
    tdb = store;
    ids = store.seeded;
  });

  it('reads stored leads newest first with their decision time; --last and --since', async () => {
    const all = await readStoredLeads(tdb.db, {});
    expect(all.map((l) => l.id)).toEqual([
      ids.broken,
      ids.big,
      ids.small,
      ids.partner,
      ids.cascadia,
    ]);
    expect(all.at(-1)!.at!.toISOString()).toBe('2026-11-28T10:43:00.000Z');
    expect((await readStoredLeads(tdb.db, { last: 2 })).map((l) => l.id)).toEqual([
      ids.broken,
      ids.big,
    ]);
    const since = await readStoredLeads(tdb.db, { since: new Date('2026-12-02T00:00:00Z') });
    expect(since.map((l) => l.label)).toEqual([
      'Broken Co',
      'Huge Freight',
      'Tidepool Coffee',
      expect.any(String), // the partner lead arrived on 2026-12-02
    ]);
  });

  it('the known diff: per lead, per type, per handler, newly catch-all, unreplayable', async () => {
    const leads = await readStoredLeads(tdb.db, {});
    const r = replayLeads(base, proposed, leads);
    expect(r.leads).toBe(5);
    expect(r.unchanged).toBe(1); // the 1,200-person company is strategic under both
    expect(r.rotationOnly).toBe(1); // the small business gets the next pool member
    expect(r.changed.map((c) => c.id)).toEqual([ids.cascadia, ids.partner]);

    const cascadia = r.changed[0]!;
    expect(cascadia.changes.map((c) => [c.field, c.before, c.after])).toEqual([
      ['type', 'strategic', 'everyone_else'],
      ['handler', 'dana', 'sam'],
      ['backup', 'marcus', null],
      ['slaDue', '2026-11-28T15:10:00.000Z', expect.any(String)],
      [
        'firstTouch',
        // Templates as written (channel, subject, hash of the body), not rendered text.
        expect.stringMatching(/^email: \{\{ lead\.company \}\}: \{\{ problem \}\} #[0-9a-f]{6}$/),
        expect.stringMatching(/^email: Thanks for contacting Blue Circle #[0-9a-f]{6}$/),
      ],
    ]);
    expect(r.changed[1]!.changes).toEqual([{ field: 'handler', before: 'theo', after: 'jordan' }]);

    expect(r.newlyCatchAll.map((c) => c.id)).toEqual([ids.cascadia]);
    expect(r.leftCatchAll).toEqual([]);
    expect(r.unreplayable).toEqual([
      {
        id: ids.broken,
        label: 'Broken Co',
        reason: expect.stringMatching(/^stored lead is not valid: employees: /),
      },
    ]);
    const byId = (xs: Array<{ id: string; before: number; after: number }>) =>
      Object.fromEntries(xs.map((x) => [x.id, [x.before, x.after]]));
    expect(byId(r.perType)).toEqual({
      strategic: [2, 1],
      everyone_else: [0, 1],
      partner_referral: [1, 1],
      small_business: [1, 1],
    });
    expect(byId(r.perHandler)).toEqual({
      dana: [2, 1],
      theo: [1, 0],
      jordan: [0, 1],
      sam: [1, 1],
      lee: [0, 1],
    });

    const md = formatReplayMarkdown(r);
    expect(md).toContain(
      '### Routing replay: 2 of 4 leads change, 1 only by pool rotation, 1 newly fall to the catch-all, 1 could not be re-decided',
    );
    expect(md).toContain('| strategic | 2 | 1 | -1 |');
    expect(md).toContain('| theo | 1 | 0 | -1 |');
    expect(md).toContain('handler: theo → jordan');
  });

  it('the same config on both sides changes nothing', async () => {
    const r = replayLeads(base, base, await readStoredLeads(tdb.db, {}));
    expect(r.changed).toEqual([]);
    expect(r.rotationOnly).toBe(0);
    expect(r.unchanged).toBe(4);
  });
});

describe('switchboard replay (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-replay-'));
  const proposedFile = join(dir, 'proposed.yaml');
  writeFileSync(proposedFile, PROPOSED_CONFIG_TEXT);
  beforeAll(async () => {
    await store.useFromCli();
  }, SLOW);

  it(
    '--format markdown for a pull-request comment',
    async () => {
      const r = await runCli([
        'replay',
        '--config',
        proposedFile,
        '--base',
        'config/routing.yaml',
        '--since',
        '3650d',
        '--format',
        'markdown',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^### Routing replay: 2 of 4 leads change/);
    },
    SLOW,
  );

  it(
    '--format json carries every row',
    async () => {
      const r = await runCli([
        'replay',
        '--config',
        proposedFile,
        '--base',
        'config/routing.yaml',
        '--last',
        '5',
        '--format',
        'json',
      ]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as {
        changed: unknown[];
        unreplayable: unknown[];
        leads: number;
      };
      expect([j.leads, j.changed.length, j.unreplayable.length]).toEqual([5, 2, 1]);
    },
    SLOW,
  );

  it(
    'an invalid proposed config stops replay with positioned errors (exit 1)',
    async () => {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, EXAMPLE_CONFIG_TEXT.replace('handler: dana', 'handler: dna'));
      const r = await runCli(['replay', '--config', bad, '--base', 'config/routing.yaml']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /bad\.yaml:\d+:\d+ lead_types\[0\]\.handler: .*"dna".*did you mean "dana"/,
      );
    },
    SLOW,
  );

  it(
    '--base-ref reads the base from git',
    async () => {
      const r = await runCli([
        'replay',
        '--config',
        'config/routing.yaml',
        '--base-ref',
        'no-such-ref-xyz',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('cannot read no-such-ref-xyz:config/routing.yaml from git');
    },
    SLOW,
  );
});
