// A fallback reassignment hands the new holder the lead type's first touch rendered for them (the
// routing core's renderer), due at their own SLA, plus a note saying why the lead moved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planActions } from '../../../src/fallback/actions.ts';
import { planReassignment } from '../../../src/fallback/reassign.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import { route } from '../../../src/routing/route.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import type { RoutingWrite } from '../../../src/adapters/crm-port.ts';
import type { Lead } from '../../../src/routing/lead.ts';

const root = join(import.meta.dirname, '../../..');
const parsed = parseRoutingConfig(
  readFileSync(join(root, 'config/routing.yaml'), 'utf8'),
  'routing.yaml',
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const config = parsed.config;
const lead: Lead = JSON.parse(
  readFileSync(join(root, 'examples/leads/saturday-0243-cascadia.json'), 'utf8'),
) as Lead;
// Monday 10:00 Pacific: Dana, Marcus and the pool all work.
const routedAt = new Date('2026-11-30T18:00:00.000Z');
const current = route(config, lead, routedAt, emptyRoutingState());
const handoverAt = new Date('2026-11-30T18:10:00.000Z');

describe('reassignment with a re-rendered first touch', () => {
  it('the decision carries the first touch rendered for the new holder and due at their SLA', () => {
    expect(current.assignee.handlerId).toBe('dana');
    expect(current.firstTouch?.body).toContain('Dana Whitfield');
    const r = planReassignment({
      config,
      lead,
      current,
      target: 'backup',
      now: handoverAt,
      previousHolders: ['dana'],
      checkpointId: 'sla',
    });
    if (!r.ok) throw new Error(r.reason);
    const d = r.decision;
    expect(d.assignee.handlerId).toBe('marcus');
    const marcus = config.people.handlers.get('marcus')!;
    expect(d.firstTouch).toMatchObject({
      channel: 'email',
      priority: 'high',
      subject: current.firstTouch!.subject,
    });
    // Signed by the new holder, not the previous one; same case study as the original pick.
    expect(d.firstTouch!.body).toContain(marcus.name);
    expect(d.firstTouch!.body).not.toContain('Dana Whitfield');
    expect(d.firstTouch!.caseStudy).toBe(current.firstTouch!.caseStudy);
    expect(d.firstTouch!.productLine).toBe(current.firstTouch!.productLine);
    expect(d.sla!.dueUtc > handoverAt.toISOString()).toBe(true);
    // The render shows in the new decision's trace like a routed decision's does.
    expect(d.trace.filter((s) => s.stage === 'render').length).toBeGreaterThan(0);
  });

  it('the routing write gives the new holder that first touch as the task and explains the move in the note', () => {
    const e = planActions(
      {
        config,
        crm: 'salesforce',
        leadId: '7',
        decisionId: '9',
        lead,
        ref: { system: 'salesforce', object: 'lead', id: '00Q000000000001EAA' },
        decision: current,
        previousHolders: ['dana'],
        checkpointId: 'sla',
        after: '10m',
        now: handoverAt,
        evaluationLines: ['checkpoint sla: saw touched=false, opened=false'],
      },
      [{ reassign: 'backup' }],
    );
    const d = e.reassignment!;
    expect(d.assignee.handlerId).toBe('marcus');
    expect(e.writes).toHaveLength(1);
    const w = e.writes[0]!.payload as RoutingWrite;
    expect(e.writes[0]!.kind).toBe('routing');
    expect(w.ownerId).toBe('005000000000002AAA');
    expect(w.task).toEqual({
      subject: d.firstTouch!.subject,
      body: d.firstTouch!.body,
      dueUtc: d.sla!.dueUtc,
      channel: 'email',
      priority: 'high',
      ownerId: '005000000000002AAA',
    });
    expect(w.task!.body).toContain('Marcus');
    expect(w.note).toContain(
      'Kira Lindqvist (Cascadia Freight Co) comes to you from Dana Whitfield at checkpoint sla (after 10m).',
    );
    expect(w.note).toContain('checkpoint sla: saw touched=false, opened=false');
    expect(w.note).toContain('Marcus');
  });

  it('a type without first_touch still gets the plain take-over task at the new SLA', () => {
    const noTouch = parseRoutingConfig(
      readFileSync(join(root, 'test/fixtures/fallback/routing.yaml'), 'utf8'),
      'routing.yaml',
    );
    if (!noTouch.ok) throw new Error(JSON.stringify(noTouch.issues));
    const held = route(
      noTouch.config,
      { first_name: 'Pat', company: 'Acme', employees: 300 },
      routedAt,
      emptyRoutingState(),
    );
    const e = planActions(
      {
        config: noTouch.config,
        crm: 'hubspot',
        leadId: '7',
        decisionId: '9',
        lead: { first_name: 'Pat', company: 'Acme', employees: 300 },
        ref: { system: 'hubspot', object: 'contact', id: 'c1' },
        decision: held,
        previousHolders: ['dana'],
        checkpointId: 'sla',
        after: '10m',
        now: handoverAt,
        evaluationLines: [],
      },
      [{ reassign: 'backup' }],
    );
    const w = e.writes[0]!.payload as RoutingWrite;
    expect(e.reassignment!.firstTouch).toBeNull();
    expect(w.task).toMatchObject({
      subject: 'Take over: Pat (Acme)',
      dueUtc: '2026-11-30T18:20:00.000Z',
    });
  });
});
