/**
 * What the pure routing core returns: a complete, JSON-serialisable decision with its trace.
 *
 * This file is the contract between the core (src/routing), the service that stores decisions
 * (src/intake), the CRM writes (src/adapters), the timers (src/fallback) and the revops commands
 * (explain / replay / review). Change it deliberately: stored decisions are read back later.
 */

/** One line of "why": the CRM note, `explain` and the replay diff all render these. */
export interface TraceStep {
  stage:
    | 'problem' // intent → stated problem
    | 'classify' // lead types, in order
    | 'account' // existing account owner
    | 'handler' // handler → backup → pool → catch-all
    | 'availability'
    | 'pool'
    | 'sla'
    | 'render'
    | 'fallback';
  /** The rule the step is about: a lead type id, handler id, pool id, checkpoint id… */
  ruleId?: string;
  /** Line in routing.yaml where that rule is defined, when known. */
  configLine?: number;
  outcome: 'matched' | 'failed' | 'missing' | 'skipped' | 'chosen' | 'info';
  /** Plain words a rep can read: `employees: 180 < 250`, `marcus away 2026-12-22..2027-01-02 → backup dana`. */
  reason: string;
  /** For a failed condition: the field, the actual value and what was expected. */
  field?: string;
  actual?: unknown;
  expected?: unknown;
}

/** Who ended up owning the lead and why that kind of owner. */
export interface Assignee {
  via: 'handler' | 'backup' | 'pool' | 'catch_all' | 'account_owner';
  handlerId: string;
  name: string;
  title?: string;
  email?: string;
  /** Owner id in each CRM, as configured on the handler. */
  ownerIds: { hubspot?: string; salesforce?: string };
  /** Pool id when `via` is `pool`. */
  pool?: string;
}

export interface SlaDue {
  /** The configured business-time duration, e.g. `10m`. */
  duration: string;
  /** Calendar the duration was counted on. */
  calendar: string;
  timezone: string;
  /** Due instant, ISO 8601 in UTC. */
  dueUtc: string;
  /** The same instant in the calendar's zone, ISO 8601 with offset. */
  dueLocal: string;
}

export interface FirstTouch {
  channel: string;
  subject: string;
  body: string;
  productLine?: string;
  caseStudy?: string;
  /** Task priority as configured on the lead type's first_touch (default high). */
  priority?: 'high' | 'medium' | 'low';
  /** Optional values that were missing and replaced by their configured default. */
  defaultsUsed: string[];
}

/** A fallback action, as configured (see routing.yaml `fallback`). */
export type FallbackAction =
  | { reassign: 'backup' | 'senior' | 'manager' | { pool: string } | { handler: string } }
  | { task: { channel: string; subject?: string; body?: string } }
  | { escalate: string | { to?: string; note?: string; notify?: string } }
  | { reenrich: true }
  | { nurture: true };

export interface FallbackBranch {
  /** Engagement condition, e.g. `{ opened: true, replied: false }`; absent means always. */
  when?: Record<string, boolean>;
  then: FallbackAction[];
}

/** One checkpoint of the plan, resolved to an instant on the assignee's calendar. */
export interface PlannedCheckpoint {
  /** Stable id within the lead type (`sla`, `cp1`, or the configured id). */
  id: string;
  /** Configured business-time offset, e.g. `2d`. */
  after: string;
  dueUtc: string;
  branches: FallbackBranch[];
}

/** The pool counter bump the server must store atomically with the decision. */
export interface PoolIncrement {
  pool: string;
  member: string;
  /** Member-local day and ISO week the pick counts against (caps are per day/week in the member's zone). */
  day: string;
  week: string;
  /**
   * Pool fairness `skip` only: a member returning from leave (or joining) forfeits the turns they
   * missed. Store `total = max(total, rebase) + 1` instead of `total + 1` (see applyPoolIncrement
   * in src/routing/pool.ts). Absent means a plain +1.
   */
  rebase?: number;
}

export interface Decision {
  /** sha256 of the normalised config the decision was made under. */
  configHash: string;
  /** The clock value the decision was made at (ISO 8601, UTC). */
  decidedAt: string;
  leadType: string;
  problem: string | null;
  assignee: Assignee;
  backup: { handlerId: string; name: string } | null;
  sla: SlaDue | null;
  firstTouch: FirstTouch | null;
  fallbackPlan: PlannedCheckpoint[];
  poolIncrement: PoolIncrement | null;
  trace: TraceStep[];
}

/**
 * The state snapshot the core needs besides config, lead and clock. The server reads it from
 * Postgres; the CLI and tests build it by hand.
 */
export interface RoutingState {
  /** Per pool, per member: picks counted so far. Keys of day/week match PoolIncrement.day/week. */
  poolCounts: Record<
    string,
    Record<
      string,
      { total: number; day?: { key: string; count: number }; week?: { key: string; count: number } }
    >
  >;
  /** Handlers who already held this lead (a re-route never goes back to them). */
  previousHolders?: string[];
  /** Handler ids whose CRM owner id was rejected by the CRM (treated as unavailable). */
  unusableHandlers?: string[];
}

export const emptyRoutingState = (): RoutingState => ({ poolCounts: {} });
