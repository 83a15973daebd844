import { describe, expect, it } from 'vitest';
import {
  compileFirstTouch,
  compileTemplate,
  renderFirstTouch,
  SAMPLE_LEAD,
  validateFirstTouch,
  type FirstTouchInput,
} from '../../../src/routing/first-touch.ts';
import { FirstTouchSchema } from '../../../src/routing/first-touch-schema.ts';
import type { Lead } from '../../../src/routing/lead.ts';
import { people } from './people-fixture.ts';

const PATH = ['lead_types', 0, 'first_touch'];
const cfg = FirstTouchSchema.parse({
  channel: 'email',
  subject: "{{ lead.company }} — {{ problem | default: 'your project' }}",
  body: [
    'Hi {{ lead.first_name }},',
    'You mentioned {{ problem }}. {{ case_study.title }} ({{ case_study.url }}) may help.',
    '{{ handler.name }}, {{ handler.title }} — I will follow up by {{ sla.due_local }}.',
  ].join('\n'),
  defaults: { problem: 'your project', 'lead.first_name': 'there' },
});
const compiled = () => {
  const r = compileFirstTouch(cfg, PATH);
  expect(r.issues).toEqual([]);
  return r.firstTouch!;
};
const p = people();
const dana = p.handlers.get('dana')!;
const input = (lead: Lead, extra: Partial<FirstTouchInput> = {}): FirstTouchInput => ({
  lead,
  leadType: 'strategic',
  problem: 'operational rebuild',
  caseStudy: {
    id: 'northwind',
    title: 'How Northwind rebuilt operations in 90 days',
    url: 'https://example.com/northwind',
  },
  handler: dana,
  sla: {
    duration: '10m',
    calendar: 'weekend_cover',
    timezone: 'America/Los_Angeles',
    dueUtc: '2026-11-28T15:10:00.000Z',
    dueLocal: '2026-11-28T07:10:00.000-08:00',
  },
  slaCalendar: dana.calendar,
  ...extra,
});

describe('renderFirstTouch', () => {
  it('renders company, stated problem, case study, the handler and the SLA', () => {
    const { firstTouch, trace } = renderFirstTouch(
      compiled(),
      input({ company: 'Cascade Freight', first_name: 'Jordan' }),
    );
    expect(firstTouch).toEqual({
      channel: 'email',
      subject: 'Cascade Freight — operational rebuild',
      body: [
        'Hi Jordan,',
        'You mentioned operational rebuild. How Northwind rebuilt operations in 90 days (https://example.com/northwind) may help.',
        'Dana Whitfield, Senior Partner — I will follow up by Sat 2026-11-28 07:10 PST.',
      ].join('\n'),
      caseStudy: 'northwind',
      priority: 'high',
      defaultsUsed: [],
    });
    expect(trace.map((s) => s.reason)).toEqual([
      'first touch by email: "Cascade Freight — operational rebuild"',
    ]);
  });

  it('falls back to configured defaults for missing optional values, and says so', () => {
    const lead: Lead = { company: 'Cascade Freight' };
    const { firstTouch, trace } = renderFirstTouch(
      compiled(),
      input(lead, { problem: null, caseStudy: null }),
    );
    expect(firstTouch.subject).toBe('Cascade Freight — your project');
    expect(firstTouch.body.split('\n').slice(0, 2)).toEqual([
      'Hi there,',
      'You mentioned your project.  () may help.',
    ]);
    expect(firstTouch.defaultsUsed).toEqual(['problem', 'lead.first_name']);
    expect(trace.filter((s) => s.outcome === 'missing').map((s) => s.reason)).toEqual([
      'problem missing → default "your project"',
      'lead.first_name missing → default "there"',
    ]);
    expect(lead).toEqual({ company: 'Cascade Freight' }); // the caller's lead is not mutated
  });

  it('never crashes on a lead with no fields at all', () => {
    const { firstTouch } = renderFirstTouch(compiled(), input({}, { problem: null, sla: null }));
    expect(firstTouch.subject).toBe(' — your project');
    expect(firstTouch.body).toContain('Hi there,');
  });

  it('`| default:` works on a missing key under strict variables (pre-filled with null)', () => {
    const t = compileFirstTouch(
      FirstTouchSchema.parse({
        subject: "{{ lead.account.name | default: lead.company | default: 'your team' }}",
        body: '{{ lead.fields.hs_persona | default: "n/a" }} {{ lead.source.utm.campaign | default: "direct" }}',
      }),
      PATH,
    ).firstTouch!;
    const r = renderFirstTouch(t, input({}));
    expect(r.firstTouch.subject).toBe('your team');
    expect(r.firstTouch.body).toBe('n/a direct');
    expect(
      renderFirstTouch(t, input({ fields: { hs_persona: 'ops' }, account: { name: 'Acme' } }))
        .firstTouch,
    ).toMatchObject({
      subject: 'Acme',
      body: 'ops direct',
    });
  });
});

describe('template checks (validate)', () => {
  it('reports unknown variables with template line/col, the config path and a suggestion', () => {
    const issues = validateFirstTouch(
      FirstTouchSchema.parse({
        subject: '{{ lead.compnay }}',
        body: 'Hi {{ lead.first_name }},\n  {{ handler.frist_name }} {{ casestudy.title }} {{ problem.name }}',
        defaults: { 'lead.frist_name': 'there' },
      }),
      PATH,
    );
    expect(issues.map((i) => [i.path.join('.'), i.template ?? null, i.message])).toEqual([
      [
        'lead_types.0.first_touch.subject',
        { line: 1, col: 4 },
        'template line 1, col 4: unknown variable "lead.compnay" (did you mean "company"?)',
      ],
      [
        'lead_types.0.first_touch.body',
        { line: 2, col: 6 },
        'template line 2, col 6: unknown variable "handler.frist_name" (did you mean "first_name"?)',
      ],
      [
        'lead_types.0.first_touch.body',
        { line: 2, col: 31 },
        'template line 2, col 31: unknown variable "casestudy" (did you mean "case_study"?): templates can use lead, problem, product_line, case_study, handler, sla, lead_type',
      ],
      [
        'lead_types.0.first_touch.body',
        { line: 2, col: 53 },
        'template line 2, col 53: "problem" is text and has no fields (found "problem.name")',
      ],
      [
        'lead_types.0.first_touch.defaults.lead.frist_name',
        null,
        'unknown variable "lead.frist_name" (did you mean "first_name"?)',
      ],
    ]);
  });

  it('reports unknown filters and syntax errors with positions', () => {
    const issues = validateFirstTouch(
      FirstTouchSchema.parse({
        subject: '{{ lead.company | upcse }}',
        body: 'line one\n{% if lead.company %}open',
      }),
      PATH,
    );
    expect(issues.map((i) => [i.path.at(-1), i.template, i.message])).toEqual([
      [
        'subject',
        { line: 1, col: 19 },
        'template line 1, col 19: undefined filter: upcse (did you mean "upcase"?)',
      ],
      ['body', { line: 2, col: 1 }, 'template line 2, col 1: tag {% if lead.company %} not closed'],
    ]);
  });

  it('accepts free-form CRM fields and a clean template', () => {
    expect(validateFirstTouch(cfg, PATH)).toEqual([]);
    expect(
      compileTemplate('{{ lead.fields.anything.deep }} {{ lead.behaviour.trial_days }}', ['x'])
        .issues,
    ).toEqual([]);
  });

  it('renders the sample lead used by validate', () => {
    const r = renderFirstTouch(compiled(), input(SAMPLE_LEAD));
    expect(r.firstTouch.subject).toBe('Example Corp — operational rebuild');
  });
});

describe('fast path for simple templates', () => {
  const templates = [
    "{{ lead.company }} — {{ problem | default: 'your project' }}",
    'Hi {{lead.first_name|default:"there"}}, {{ lead.employees }} people, target={{ lead.account.target }}',
    '{{ lead.fields.tags }}|{{ lead.fields.obj }}|{{ lead.fields.zero | default: "z" }}|{{ lead.fields.no | default: "n" }}|{{ lead.fields.empty | default: "e" }}|{{ lead.fields.list | default: "l" }}',
    '{{ case_study.title | default: "our work" }} {{ case_study.url }} {{ handler.first_name }} {{ sla.due_local }}',
    'Plain text, no outputs — {{ lead_type.id }}',
  ];
  const leads: Lead[] = [
    SAMPLE_LEAD,
    {},
    { company: '', first_name: 'Åsa', employees: 0, account: { target: false } },
    {
      company: 'Acme',
      fields: { tags: ['a', 'b'], obj: { k: 1 }, zero: 0, no: false, empty: '', list: [] },
    },
  ];

  it('uses the fast path only for text plus simple outputs', () => {
    expect(compileTemplate(templates[0]!, []).compiled!.fast).not.toBeNull();
    expect(compileTemplate('{% if lead.company %}x{% endif %}', []).compiled!.fast).toBeNull();
    expect(compileTemplate('{{ lead.company | upcase }}', []).compiled!.fast).toBeNull();
    expect(compileTemplate('{{ lead.fields.tags.size }}', []).compiled!.fast).toBeNull();
    expect(compileTemplate('{{- lead.company }}', []).compiled!.fast).toBeNull();
  });

  it('renders exactly what liquidjs renders', () => {
    for (const t of templates) {
      const fast = compileTemplate(t, []).compiled!;
      const slow = compileTemplate(t, [], { fast: false }).compiled!;
      expect(fast.fast).not.toBeNull();
      expect(slow.fast).toBeNull();
      for (const lead of leads) {
        for (const extra of [{}, { problem: null, caseStudy: null, sla: null }]) {
          const mk = (c: typeof fast) =>
            renderFirstTouch(
              { channel: 'email', priority: 'high', subject: c, body: c, defaults: [] },
              input(lead, extra),
            ).firstTouch.subject;
          expect(mk(fast)).toBe(mk(slow));
        }
      }
    }
  });
});
