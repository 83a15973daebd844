/**
 * What the local HubSpot double holds per contact after a run: owner writes and owner changes
 * (a repeat of the same owner is idempotent, not a change), tasks and notes associated with it.
 * Only successful (2xx) writes count; a request the double answered with a fault changed nothing.
 */
import type { HubSpotDouble } from '../helpers/hubspot-double.ts';

export interface CrmOutcome {
  /** Whether the double saw any routing write at all. */
  writesSeen: boolean;
  requests: number;
  withOwner: number;
  ownerWrites: number;
  ownerChanges: number;
  tasks: number;
  notes: number;
  /** Contacts lacking an owner, a task or a note. */
  missing: string[];
  /** Contacts with more than one owner change, task or note. */
  duplicated: string[];
}

/** Any owner, task or note write reached the double (whatever it answered). */
export function anyCrmWrites(double: HubSpotDouble): boolean {
  return (
    double.tasks.size + double.notes.size > 0 ||
    double.requests.some(
      (r) =>
        r.method === 'PATCH' ||
        r.path.endsWith('/batch/update') ||
        r.path.endsWith('/batch/create') ||
        r.path === '/crm/v3/objects/tasks' ||
        r.path === '/crm/v3/objects/notes',
    )
  );
}

export function crmOutcome(double: HubSpotDouble, firstId: number, n: number): CrmOutcome {
  const ownerSeq = new Map<string, string[]>();
  const push = (id: string, owner: unknown) => {
    if (typeof owner !== 'string' || owner === '') return;
    const seq = ownerSeq.get(id) ?? [];
    seq.push(owner);
    ownerSeq.set(id, seq);
  };
  for (const r of double.requests) {
    const b = (r.body ?? {}) as Record<string, unknown>;
    if (r.method === 'PATCH' && r.path.startsWith('/crm/v3/objects/contacts/')) {
      const id = decodeURIComponent(r.path.split('/').pop()!);
      push(id, (b.properties as Record<string, unknown> | undefined)?.hubspot_owner_id);
    } else if (r.method === 'POST' && r.path === '/crm/v3/objects/contacts/batch/update') {
      for (const i of (b.inputs ?? []) as Array<{
        id: string;
        properties?: Record<string, unknown>;
      }>)
        push(String(i.id), i.properties?.hubspot_owner_id);
    }
  }
  const perContact = (m: HubSpotDouble['tasks']) => {
    const c = new Map<string, number>();
    for (const e of m.values()) for (const id of e.contactIds) c.set(id, (c.get(id) ?? 0) + 1);
    return c;
  };
  const tasks = perContact(double.tasks);
  const notes = perContact(double.notes);
  const missing: string[] = [];
  const duplicated: string[] = [];
  let withOwner = 0;
  let ownerWrites = 0;
  let ownerChanges = 0;
  for (let i = 0; i < n; i++) {
    const id = String(firstId + i);
    const finalOwner = double.contacts.get(id)?.properties.hubspot_owner_id ?? null;
    const seq = ownerSeq.get(id) ?? [];
    // Writes the double may have answered with a fault are in `requests` too; the final state
    // decides whether the owner is set, the sequence counts changes between distinct values.
    let changes = 0;
    let prev: string | null = null;
    for (const o of seq) {
      if (o !== prev) changes++;
      prev = o;
    }
    ownerWrites += seq.length;
    ownerChanges += Math.min(changes, 1) + Math.max(0, changes - 1);
    if (finalOwner) withOwner++;
    const t = tasks.get(id) ?? 0;
    const nn = notes.get(id) ?? 0;
    if (!finalOwner || t === 0 || nn === 0) missing.push(id);
    if (changes > 1 || t > 1 || nn > 1) duplicated.push(id);
  }
  return {
    writesSeen: anyCrmWrites(double),
    requests: double.requests.length,
    withOwner,
    ownerWrites,
    ownerChanges,
    tasks: [...tasks.values()].reduce((a, b) => a + b, 0),
    notes: [...notes.values()].reduce((a, b) => a + b, 0),
    missing,
    duplicated,
  };
}
