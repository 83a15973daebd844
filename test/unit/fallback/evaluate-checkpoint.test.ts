import { describe, expect, it } from 'vitest';
import {
  checkpointStillApplies,
  evaluateCheckpoint,
  normaliseEngagement,
} from '../../../src/fallback/evaluate-checkpoint.ts';
import type { PlannedCheckpoint } from '../../../src/routing/decision.ts';

// The seed's strategic type: an SLA checkpoint and a two-day checkpoint with three branches.
const sla: PlannedCheckpoint = {
  id: 'sla',
  after: '10m',
  dueUtc: '2026-11-30T16:10:00.000Z',
  branches: [{ when: { touched: false }, then: [{ reassign: 'backup' }] }],
};
const twoDays: PlannedCheckpoint = {
  id: 'cp2',
  after: '2d',
  dueUtc: '2026-12-02T16:00:00.000Z',
  branches: [
    { when: { opened: true, replied: false }, then: [{ escalate: 'dana' }] },
    { when: { opened: false }, then: [{ task: { channel: 'call' } }] },
    { when: { replied: true, meeting_booked: false }, then: [{ reassign: 'senior' }] },
  ],
};
const seen = (e: Partial<Record<'touched' | 'opened' | 'replied' | 'meetingBooked', boolean>>) => ({
  touched: false,
  opened: false,
  replied: false,
  meetingBooked: false,
  evidence: [],
  ...e,
});

describe('evaluateCheckpoint', () => {
  it('branch A: opened but no reply escalates', () => {
    const r = evaluateCheckpoint(twoDays, seen({ touched: true, opened: true }));
    expect(r.branchIndex).toBe(0);
    expect(r.actions).toEqual([{ escalate: 'dana' }]);
    expect(r.lines.at(-1)).toBe('  → escalate dana');
  });

  it('branch B: not opened switches to a call task', () => {
    const r = evaluateCheckpoint(twoDays, seen({ touched: true }));
    expect(r.branchIndex).toBe(1);
    expect(r.actions).toEqual([{ task: { channel: 'call' } }]);
    expect(r.lines).toContain('  branch 1 skipped: opened: false ≠ true, replied: false = false');
  });

  it('branch C: replied without a meeting re-routes to the senior', () => {
    const r = evaluateCheckpoint(twoDays, seen({ touched: true, opened: true, replied: true }));
    expect(r.branchIndex).toBe(2);
    expect(r.actions).toEqual([{ reassign: 'senior' }]);
  });

  it('a reply without a tracked open is not treated as "not opened"', () => {
    const r = evaluateCheckpoint(twoDays, seen({ replied: true }));
    expect(r.branchIndex).toBe(2);
    expect(r.lines).toContain('  opened inferred from replied');
  });

  it('nothing matches once a meeting is booked: the checkpoint does nothing', () => {
    const r = evaluateCheckpoint(
      twoDays,
      seen({ touched: true, opened: true, replied: true, meetingBooked: true }),
    );
    expect(r.branchIndex).toBeNull();
    expect(r.actions).toEqual([]);
    expect(r.lines.at(-1)).toContain('no branch matched');
  });

  it('the SLA checkpoint hands an untouched lead to the backup, and lets a touched one be', () => {
    expect(evaluateCheckpoint(sla, seen({})).actions).toEqual([{ reassign: 'backup' }]);
    expect(evaluateCheckpoint(sla, seen({ touched: true })).branchIndex).toBeNull();
  });

  it('records the evidence the CRM gave in the trace', () => {
    const r = evaluateCheckpoint(sla, { ...seen({}), evidence: ['notes_last_contacted: null'] });
    expect(r.lines[0]).toBe(
      'checkpoint sla: saw touched=false, opened=false, replied=false, meeting_booked=false',
    );
    expect(r.lines).toContain('  evidence: notes_last_contacted: null');
  });

  it('an unknown signal in a stored plan never matches', () => {
    const r = evaluateCheckpoint(
      { id: 'x', branches: [{ when: { clicked: true }, then: [{ nurture: true }] }] },
      seen({ touched: true }),
    );
    expect(r.branchIndex).toBeNull();
    expect(r.lines[1]).toContain('clicked: unknown engagement signal');
  });

  it('a branch without a condition always matches', () => {
    const r = evaluateCheckpoint({ id: 'x', branches: [{ then: [{ nurture: true }] }] }, seen({}));
    expect(r.actions).toEqual([{ nurture: true }]);
  });
});

describe('normaliseEngagement', () => {
  it('infers touched from a booked meeting', () => {
    const n = normaliseEngagement(seen({ meetingBooked: true }));
    expect(n.facts).toEqual({ touched: true, opened: false, replied: false, meeting_booked: true });
    expect(n.inferred).toEqual(['touched inferred from meeting_booked']);
  });
});

describe('checkpointStillApplies (early exit)', () => {
  const facts = (f: Partial<Record<'touched' | 'opened' | 'replied' | 'meetingBooked', boolean>>) =>
    normaliseEngagement(seen(f)).facts;

  it('a reply cancels the SLA checkpoint (a reply means the lead was touched)', () => {
    expect(checkpointStillApplies(sla, facts({ replied: true }))).toEqual({
      applies: false,
      reason: 'no branch can match any more (branch 1 needs touched=false)',
    });
  });

  it('a reply keeps the two-day checkpoint: branch C (no meeting yet) can still match', () => {
    expect(checkpointStillApplies(twoDays, facts({ replied: true })).applies).toBe(true);
  });

  it('a booked meeting ends the sequence', () => {
    expect(checkpointStillApplies(twoDays, facts({ meetingBooked: true }))).toEqual({
      applies: false,
      reason: 'meeting booked: sequence ends',
    });
  });

  it('no engagement yet: everything still applies', () => {
    expect(checkpointStillApplies(sla, facts({})).applies).toBe(true);
  });
});
