/**
 * Runs one fixture through the pure router and compares every stated expectation with the
 * decision. Only what the fixture states is checked, so a fixture documents exactly the behaviour
 * its author cares about.
 */
import { emptyRoutingState, type Decision } from '../routing/decision.ts';
import { route } from '../routing/route.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import type { LoadedFixture } from './fixture-file.ts';
import type { ExpectKey } from './fixture-schema.ts';

export interface Mismatch {
  key: ExpectKey;
  line: number;
  expected: unknown;
  actual: unknown;
}

export interface FixtureResult {
  fixture: LoadedFixture;
  ok: boolean;
  mismatches: Mismatch[];
  decision: Decision | null;
  /** Set when routing itself threw (a bug or a config the core cannot handle). */
  error?: string;
}

/** The decision's value for each expectation key, in the fixture's vocabulary. */
export function actualValue(d: Decision, key: ExpectKey): unknown {
  switch (key) {
    case 'type':
      return d.leadType;
    case 'handler':
      return d.assignee.handlerId;
    case 'via':
      return d.assignee.via;
    case 'pool':
      return d.assignee.pool ?? null;
    case 'backup':
      return d.backup?.handlerId ?? null;
    case 'sla_due':
      return d.sla?.dueLocal ?? null;
    case 'problem':
      return d.problem;
    case 'case_study':
      return d.firstTouch?.caseStudy ?? null;
    case 'product_line':
      return d.firstTouch?.productLine ?? null;
    case 'channel':
      return d.firstTouch?.channel ?? null;
  }
}

function same(key: ExpectKey, expected: unknown, actual: unknown): boolean {
  if (key === 'sla_due' && typeof expected === 'string' && typeof actual === 'string')
    return Date.parse(expected) === Date.parse(actual); // instants, whatever the offset
  return expected === actual;
}

export function checkFixture(config: RoutingConfig, f: LoadedFixture): FixtureResult {
  const at = f.at ?? (f.lead.created_at ? new Date(f.lead.created_at) : null);
  if (!at) {
    return {
      fixture: f,
      ok: false,
      mismatches: [],
      decision: null,
      error: 'no clock: give the fixture `at:` or the lead a created_at',
    };
  }
  let decision: Decision;
  try {
    decision = route(config, f.lead, at, emptyRoutingState());
  } catch (err) {
    return {
      fixture: f,
      ok: false,
      mismatches: [],
      decision: null,
      error: `routing failed: ${(err as Error).message}`,
    };
  }
  const mismatches: Mismatch[] = [];
  for (const key of Object.keys(f.expect) as ExpectKey[]) {
    const expected = f.expect[key];
    const actual = actualValue(decision, key);
    if (!same(key, expected, actual))
      mismatches.push({ key, line: f.expectLines[key] ?? f.line, expected, actual });
  }
  return { fixture: f, ok: mismatches.length === 0, mismatches, decision };
}
