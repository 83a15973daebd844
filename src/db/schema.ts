/**
 * Row types as SQL returns them (kysely tables). Domain types live elsewhere; the small mappers in
 * each store convert. bigint ids come back as strings on both drivers (PGlite is configured to
 * match pg, see database.ts), so ids are `string` throughout.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;
/** jsonb: SQL returns parsed JSON; write it as a JSON string (see `json()` in database.ts). */
type Json<T = unknown> = ColumnType<T, string, string>;
type Id = ColumnType<string, never, never>;

export interface InboxTable {
  id: Id;
  source: 'hubspot' | 'salesforce' | 'json';
  dedupe_key: string;
  kind: 'route' | 'reroute' | 'engagement';
  payload: Json;
  status: ColumnType<InboxStatus, InboxStatus | undefined, InboxStatus>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_at: Timestamp;
  locked_at: NullableTimestamp;
  locked_by: string | null;
  last_error: string | null;
  outcome: string | null;
  lead_id: string | null;
  decision_id: string | null;
  received_at: Timestamp;
  updated_at: Timestamp;
  done_at: NullableTimestamp;
}
export type InboxStatus = 'pending' | 'in_flight' | 'done' | 'parked';
export type InboxRow = Selectable<InboxTable>;

export interface LeadsTable {
  id: Id;
  crm_system: string;
  crm_object: string;
  crm_id: string;
  tenant: Generated<string>;
  lead: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export type LeadRow = Selectable<LeadsTable>;

export interface DecisionsTable {
  id: Id;
  lead_id: string;
  inbox_id: string | null;
  reason: 'route' | 'reroute';
  config_hash: string;
  lead_type: string;
  handler_id: string;
  decided_at: Date | string;
  decision: Json;
  created_at: Timestamp;
}
export type DecisionRow = Selectable<DecisionsTable>;

export interface PoolCountsTable {
  pool: string;
  member: string;
  period: 'total' | 'day' | 'week';
  period_key: string;
  count: Generated<number>;
  updated_at: Timestamp;
}

export interface LeadEventsTable {
  id: Id;
  lead_id: string | null;
  crm_system: string;
  tenant: Generated<string>;
  crm_id: string;
  kind: string;
  property: string | null;
  value: string | null;
  occurred_at: Date | string;
  inbox_id: string | null;
  /** Shows engagement (migration 0008); the SLA views count only these as a touch. */
  engaged: Generated<boolean>;
  created_at: Timestamp;
}

export interface CrmWritesTable {
  id: Id;
  lead_id: string;
  decision_id: string;
  step: string;
  kind: 'routing' | 'assign_owner' | 'task' | 'note';
  key: string;
  crm: 'hubspot' | 'salesforce' | 'dryrun';
  payload: Json;
  status: ColumnType<string, string | undefined, string>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_at: Timestamp;
  locked_at: NullableTimestamp;
  locked_by: string | null;
  last_error: string | null;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  done_at: NullableTimestamp;
}
export type CrmWriteRow = Selectable<CrmWritesTable>;
export type NewCrmWrite = Insertable<CrmWritesTable>;

export interface SchemaMigrationsTable {
  id: string;
  applied_at: Timestamp;
}

/**
 * Tables owned by this schema. Other areas (dry-run writes, timers) extend it by interface
 * merging in their own files, or declare their own `Database & { … }` type.
 */
export interface Database {
  inbox: InboxTable;
  leads: LeadsTable;
  decisions: DecisionsTable;
  pool_counts: PoolCountsTable;
  lead_events: LeadEventsTable;
  crm_writes: CrmWritesTable;
  schema_migrations: SchemaMigrationsTable;
}
