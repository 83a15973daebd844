// The seed's story (shared/seed/000_…txt): a lead lands on the contact form at 2:43 AM on a
// Saturday. The strategic type's handler has weekend cover, so the SLA falls due ten business
// minutes after that calendar opens on Saturday morning — not at 9:14 AM on Monday.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseAssignee, type AssignmentRule } from '../../../src/routing/choose-assignee.ts';
import { emptyRoutingState } from '../../../src/routing/decision.ts';
import {
  checkLeadTypeParts,
  decideTimingAndTouch,
  type LeadTypeParts,
} from '../../../src/routing/lead-type-parts.ts';
import { nextOpening, formatLocal, addBusinessTime } from '../../../src/routing/business-time.ts';
import { FirstTouchSchema } from '../../../src/routing/first-touch-schema.ts';
import { FallbackSchema } from '../../../src/routing/fallback-schema.ts';
import { parseRoutingConfig } from '../../../src/routing/parse-config.ts';
import { classify } from '../../../src/routing/classify.ts';
import { pickCatalogEntry } from '../../../src/routing/catalog.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { people } from './people-fixture.ts';

const lead: Lead = {
  first_name: 'Kira',
  title: 'Director of Operations',
  company: 'Cascadia Freight Co',
  employees: 300,
  region: 'Pacific Northwest',
  message: 'We’re thinking through some operational rebuild work. Open to a conversation.',
  created_at: '2026-11-28T02:43:00-08:00',
};
const arrived = new Date('2026-11-28T02:43:00-08:00'); // Saturday, 02:43 in the handler's zone

const strategic: LeadTypeParts & AssignmentRule = {
  id: 'strategic',
  handler: 'dana',
  backup: 'marcus',
  sla: '10m',
  first_touch: FirstTouchSchema.parse({
    subject: '{{ lead.company }}: {{ problem }}',
    body: 'Hi {{ lead.first_name }}, about {{ problem }} at {{ lead.company }}. {{ case_study.title }}. — {{ handler.name }}',
    defaults: { problem: 'your project' },
  }),
  fallback: FallbackSchema.parse([
    { id: 'sla', after: '10m', when: { touched: false }, then: [{ reassign: 'backup' }] },
  ]),
};

function decide(p: ReturnType<typeof people>) {
  const choice = chooseAssignee(p, strategic, lead, arrived, emptyRoutingState());
  const parts = decideTimingAndTouch({
    leadType: strategic,
    choice,
    lead,
    now: arrived,
    problem: 'operational rebuild',
    caseStudy: { id: 'northwind', title: 'How Northwind rebuilt operations in 90 days' },
  });
  return { choice, ...parts };
}

describe("the seed's 2:43 AM Saturday lead", () => {
  it('goes to the strategic handler with weekend cover, due ten business minutes after the calendar opens', () => {
    const { choice, sla, firstTouch, fallbackPlan } = decide(people());
    expect(choice.assignee).toMatchObject({
      via: 'handler',
      handlerId: 'dana',
      name: 'Dana Whitfield',
    });
    expect(choice.backup).toEqual({ handlerId: 'marcus', name: 'Marcus Reed' });
    const cover = choice.slaCalendar;
    expect(cover.name).toBe('weekend_cover');
    const opens = nextOpening(cover, arrived);
    expect(formatLocal(cover, opens)).toBe('Sat 2026-11-28 07:00 PST');
    expect(sla).toEqual({
      duration: '10m',
      calendar: 'weekend_cover',
      timezone: 'America/Los_Angeles',
      dueUtc: '2026-11-28T15:10:00.000Z',
      dueLocal: '2026-11-28T07:10:00.000-08:00',
    });
    expect(new Date(sla.dueUtc).getTime() - opens.getTime()).toBe(10 * 60_000);
    expect(firstTouch).toMatchObject({
      subject: 'Cascadia Freight Co: operational rebuild',
      body: 'Hi Kira, about operational rebuild at Cascadia Freight Co. How Northwind rebuilt operations in 90 days. — Dana Whitfield',
      defaultsUsed: [],
    });
    expect(fallbackPlan).toEqual([
      {
        id: 'sla',
        after: '10m',
        dueUtc: '2026-11-28T15:10:00.000Z',
        branches: [{ when: { touched: false }, then: [{ reassign: 'backup' }] }],
      },
    ]);
  });

  it('under a weekdays-only calendar the same lead is due on Monday, because nobody is working on the weekend', () => {
    // Dana without weekend cover: her calendar is closed Saturday and Sunday, so business time
    // only starts at Monday 08:00 — the seed's "SDR sees it at 9:14 AM on Monday" world.
    const p = people({
      handlers: {
        dana: {
          name: 'Dana Whitfield',
          title: 'Senior Partner',
          owner: { hubspot: '51234567' },
          calendar: 'weekdays',
        },
      },
    });
    const { choice, sla, trace } = decide(p);
    expect(choice.assignee.handlerId).toBe('dana'); // still the right person: working hours never skip anyone
    expect(formatLocal(choice.slaCalendar, nextOpening(choice.slaCalendar, arrived))).toBe(
      'Mon 2026-11-30 08:00 PST',
    );
    expect(sla.dueLocal).toBe('2026-11-30T08:10:00.000-08:00');
    expect(trace[0]!.reason).toBe(
      'SLA 10m of business time on calendar weekdays: due Mon 2026-11-30 08:10 PST (2026-11-30T16:10:00.000Z); closed at arrival, counting from the opening Mon 2026-11-30 08:00 PST',
    );
    // Forty-nine hours later than with weekend cover (Saturday 07:10 → Monday 08:10).
    expect(
      new Date(sla.dueUtc).getTime() -
        addBusinessTime(people().calendars.get('weekend_cover')!, arrived, '10m').getTime(),
    ).toBe((2 * 24 + 1) * 3_600_000);
  });
});

describe('the same story through routing.yaml', () => {
  const yaml = `
version: 1
reviewed_on: 2026-11-24
review_every: 90d
catch_all: ava
calendars:
  weekdays: { timezone: America/Los_Angeles, weekly: { mon-fri: "08:00-18:00" }, holidays: [2026-12-25] }
  weekend_cover: { timezone: America/Los_Angeles, weekly: { mon-sun: "07:00-21:00" } }
handlers:
  dana: { name: Dana Whitfield, title: Senior Partner, owner: { hubspot: "51234567" }, calendar: weekend_cover }
  marcus: { name: Marcus Reed, owner: { hubspot: "51234568" }, calendar: weekdays, away: [{ from: 2026-12-22, to: 2027-01-02 }] }
  ava: { name: Ava Stone, owner: { hubspot: "51234572" }, calendar: weekdays }
problems:
  operational rebuild: [rebuild, overhaul, re-platform]
case_studies:
  - { id: northwind, title: "How Northwind rebuilt operations in 90 days", url: "https://example.com/northwind", default: true }
lead_types:
  - id: strategic
    when: { any: [ { employees: { gte: 250 } }, { account.target: true } ] }
    handler: dana
    backup: marcus
    sla: 10m
    target: true
    first_touch:
      subject: "{{ lead.company }} — {{ problem }}"
      body: "Hi {{ lead.first_name }}, {{ case_study.title }} — {{ handler.first_name }}"
      defaults: { problem: your project }
    fallback:
      - { after: 10m, when: { touched: false }, then: [ { reassign: backup } ] }
  - id: everyone_else
    when: always
    handler: ava
    backup: dana
    sla: 4h
`;

  it('classifies, assigns, times and renders the first touch', () => {
    const parsed = parseRoutingConfig(yaml, 'routing.yaml');
    if (!parsed.ok)
      throw new Error(parsed.issues.map((i) => `${i.line}:${i.col} ${i.message}`).join('\n'));
    const config = parsed.config;
    const c = classify(config, lead);
    expect(c.leadType.id).toBe('strategic');
    const type = c.leadType.def;
    const choice = chooseAssignee(config.people, type, lead, arrived, emptyRoutingState());
    const parts = decideTimingAndTouch({
      leadType: type,
      choice,
      lead,
      now: arrived,
      problem: c.problem?.problem ?? null,
      caseStudy: pickCatalogEntry(config.caseStudies, c.ctx, 'case study').entry,
    });
    expect(choice.assignee.handlerId).toBe('dana');
    expect(parts.sla.dueLocal).toBe('2026-11-28T07:10:00.000-08:00');
    expect(parts.firstTouch).toMatchObject({
      channel: 'email',
      subject: 'Cascadia Freight Co — operational rebuild',
      body: 'Hi Kira, How Northwind rebuilt operations in 90 days — Dana',
      caseStudy: 'northwind',
    });
    expect(parts.fallbackPlan.map((p) => [p.id, p.dueUtc])).toEqual([
      ['cp1', '2026-11-28T15:10:00.000Z'],
    ]);
  });
});

describe('the example config (config/routing.yaml) and the 2:43 AM example lead', () => {
  it('passes the first-touch and fallback checks and tells the seed story', () => {
    const root = new URL('../../../', import.meta.url);
    const parsed = parseRoutingConfig(
      readFileSync(new URL('config/routing.yaml', root), 'utf8'),
      'config/routing.yaml',
    );
    if (!parsed.ok)
      throw new Error(parsed.issues.map((i) => `${i.line}:${i.col} ${i.message}`).join('\n'));
    const config = parsed.config;
    expect(checkLeadTypeParts(config.data).filter((i) => i.severity === 'error')).toEqual([]);
    const example: Lead = JSON.parse(
      readFileSync(new URL('examples/leads/saturday-0243-cascadia.json', root), 'utf8'),
    );
    const now = new Date(example.created_at!);
    const c = classify(config, example);
    const choice = chooseAssignee(config.people, c.leadType.def, example, now, emptyRoutingState());
    const parts = decideTimingAndTouch({
      leadType: c.leadType.def,
      choice,
      lead: example,
      now,
      problem: c.problem?.problem ?? null,
      productLine: pickCatalogEntry(config.productLines, c.ctx, 'product line').entry,
      caseStudy: pickCatalogEntry(config.caseStudies, c.ctx, 'case study').entry,
    });
    expect(c.leadType.def.target).toBe(true);
    expect(choice.assignee.name).toBe('Dana Whitfield');
    // Ten business minutes after the weekend-cover calendar opens on Saturday morning.
    const opens = nextOpening(choice.slaCalendar, now);
    expect(new Date(parts.sla.dueUtc).getTime() - opens.getTime()).toBe(10 * 60_000);
    expect(parts.sla.dueLocal.slice(0, 10)).toBe('2026-11-28');
    expect(parts.firstTouch?.subject).toContain(example.company!);
    expect(parts.firstTouch?.body).toContain('Dana Whitfield');
    expect(parts.firstTouch?.defaultsUsed).toEqual([]);
    expect(parts.fallbackPlan.length).toBeGreaterThan(0);
  });
});
