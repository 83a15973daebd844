/**
 * Fills a Lead from a CRM record through a `crm_mapping` table (Lead path ← CRM name), coercing
 * numbers and instants so `employees: "180"` from HubSpot becomes the number the rules compare.
 */
import type { Lead } from '../routing/lead.ts';

const NUMERIC = /^(employees|annual_revenue|behaviour\.[a-z_]+)$/;

function coerce(path: string, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (NUMERIC.test(path)) {
    const n = typeof value === 'number' ? value : Number(String(value).replace(/[, ]/g, ''));
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  if (path === 'created_at') {
    const t = typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  if (path === 'account.target') return value === true || value === 'true';
  return typeof value === 'string' ? value : String(value);
}

/** Sets `lead[path]` (dotted) when the coerced value is usable; returns whether it did. */
export function setLeadPath(lead: Lead, path: string, value: unknown): boolean {
  const v = coerce(path, value);
  if (v === undefined) return false;
  const parts = path.split('.');
  let node = lead as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) {
    const next = node[p];
    if (typeof next !== 'object' || next === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = v;
  return true;
}

/** Applies `map` (Lead path ← CRM name) from `record` onto `lead`. */
export function applyMapping(
  lead: Lead,
  record: Record<string, unknown>,
  map: Record<string, string>,
): void {
  for (const [path, crmName] of Object.entries(map)) setLeadPath(lead, path, record[crmName]);
}

/** Copies `names` from `record` into `lead.fields` (raw, by CRM name). */
export function applyExtra(lead: Lead, record: Record<string, unknown>, names: string[]): void {
  for (const n of names) {
    const v = record[n];
    if (v === undefined || v === null) continue;
    lead.fields = { ...lead.fields, [n]: v };
  }
}
