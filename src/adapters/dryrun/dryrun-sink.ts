/**
 * Where the dry-run adapter records what it would write: the `dryrun_writes` table in the service
 * (migration 0003), an array in tests and one-off CLI runs.
 */
import { sql, type Kysely } from 'kysely';
import type { LeadCrmRef } from '../../routing/lead.ts';

export type DryRunOp = 'assign_owner' | 'task' | 'note';

export interface DryRunEntry {
  key: string;
  op: DryRunOp;
  lead: LeadCrmRef;
  remoteId: string;
  payload: unknown;
}

export interface DryRunSink {
  /** Records the entry once per (key, op); returns the remote id recorded first. */
  record(entry: DryRunEntry): Promise<string>;
}

export interface MemoryDryRunSink extends DryRunSink {
  readonly entries: DryRunEntry[];
}

export function memoryDryRunSink(): MemoryDryRunSink {
  const entries: DryRunEntry[] = [];
  return {
    entries,
    async record(e) {
      const earlier = entries.find((x) => x.key === e.key && x.op === e.op);
      if (earlier) return earlier.remoteId;
      entries.push(e);
      return e.remoteId;
    },
  };
}

export interface DryRunWritesTable {
  key: string;
  op: string;
  lead_system: string;
  lead_ref: string;
  remote_id: string;
  payload: string;
}

/** The table sink; `db` is any Kysely whose schema has `dryrun_writes` (migration 0003). */
export function dbDryRunSink<DB extends { dryrun_writes: DryRunWritesTable }>(
  db: Kysely<DB>,
): DryRunSink {
  const k = db as unknown as Kysely<{ dryrun_writes: DryRunWritesTable }>;
  return {
    async record(e) {
      await sql`insert into dryrun_writes (key, op, lead_system, lead_ref, remote_id, payload)
        values (${e.key}, ${e.op}, ${e.lead.system}, ${e.lead.id}, ${e.remoteId}, ${JSON.stringify(e.payload ?? null)})
        on conflict (key, op) do nothing`.execute(k);
      const row = await k
        .selectFrom('dryrun_writes')
        .select('remote_id')
        .where('key', '=', e.key)
        .where('op', '=', e.op)
        .executeTakeFirst();
      return row?.remote_id ?? e.remoteId;
    },
  };
}
