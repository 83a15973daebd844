import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planActions } from '../../../src/fallback/actions.ts';
import { planReassignment } from '../../../src/fallback/reassign.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import type { Decision } from '../../../src/routing/decision.ts';

const parsed = parseRoutingConfig(
  readFileSync(join(import.meta.dirname, '../../fixtures/fallback/routing.yaml'), 'utf8'),
  'routing.yaml',
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const config = parsed.config;
const now = new Date('2026-12-02T16:00:00.000Z');
const held = (handlerId: string, extra: Partial<Decision> = {}): Decision => ({
  configHash: config.hash,
  decidedAt: '2026-11-30T16:00:00.000Z',
  leadType: 'strategic',
  problem: null,
  assignee: { via: 'handler', handlerId, name: handlerId, ownerIds: {} },
  backup: { handlerId: 'marcus', name: 'Marcus Reed' },
  sla: null,
  firstTouch: null,
  fallbackPlan: [],
  poolIncrement: null,
  trace: [],
  ...extra,
});
const base = { config, lead: { first_name: 'Pat' }, now, checkpointId: 'day2' };

describe('planReassignment', () => {
  it('the senior gets the lead with a fresh SLA and the type’s checkpoints from the handover', () => {
    const r = planReassignment({
      ...base,
      current: held('dana'),
      target: 'senior',
      previousHolders: ['dana'],
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.decision.assignee.handlerId).toBe('avery');
    expect(r.decision.sla?.dueUtc).toBe('2026-12-02T16:10:00.000Z');
    expect(r.decision.fallbackPlan.map((c) => [c.id, c.dueUtc])).toEqual([
      ['sla', '2026-12-02T16:10:00.000Z'],
      ['day2', '2026-12-04T16:00:00.000Z'],
    ]);
    expect(r.decision.trace[0]).toMatchObject({
      stage: 'fallback',
      outcome: 'chosen',
      ruleId: 'day2',
    });
  });

  it('says plainly when the holder has no senior configured', () => {
    const r = planReassignment({
      ...base,
      current: held('avery'),
      target: 'senior',
      previousHolders: ['avery'],
    });
    expect(r).toEqual({
      ok: false,
      reason: 'avery has no senior configured (handlers.avery.senior)',
    });
  });

  it('never goes back: when only a previous holder is left, the reassignment is refused', () => {
    const r = planReassignment({
      ...base,
      current: held('marcus'),
      target: { handler: 'morgan' },
      previousHolders: ['dana', 'marcus', 'morgan'],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('already held this lead');
  });

  it('the backup is marked as such', () => {
    const r = planReassignment({
      ...base,
      current: held('dana'),
      target: 'backup',
      previousHolders: ['dana'],
    });
    expect(r.ok && [r.decision.assignee.handlerId, r.decision.assignee.via]).toEqual([
      'marcus',
      'backup',
    ]);
  });
});

describe('planActions', () => {
  const ctx = {
    config,
    crm: 'hubspot' as const,
    leadId: '7',
    decisionId: '9',
    lead: { first_name: 'Pat', company: 'Acme' },
    ref: { system: 'hubspot' as const, object: 'contact' as const, id: 'c1' },
    previousHolders: ['avery'],
    checkpointId: 'day2',
    after: '2d',
    now,
    evaluationLines: ['checkpoint day2: saw …'],
  };

  it('a refused reassignment leaves a note for the holder instead of doing nothing', () => {
    const e = planActions({ ...ctx, decision: held('avery') }, [{ reassign: 'senior' }]);
    expect(e.reassignment).toBeNull();
    expect(e.writes.map((w) => [w.key, w.kind])).toEqual([['7:9:fallback:day2:1', 'note']]);
    expect(e.lines).toEqual([
      'reassign senior refused: avery has no senior configured (handlers.avery.senior)',
    ]);
  });

  it('numbers the writes of one checkpoint so each has its own idempotency key', () => {
    const e = planActions({ ...ctx, decision: held('dana'), previousHolders: ['dana'] }, [
      { task: { channel: 'call' } },
      { escalate: { notify: 'https://hooks.slack.example/T1' } },
    ]);
    expect(e.writes.map((w) => [w.step, w.kind])).toEqual([
      ['fallback:day2:1', 'task'],
      ['fallback:day2:2', 'task'],
      ['fallback:day2:3', 'notify'],
    ]);
  });
});
