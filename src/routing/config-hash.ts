/**
 * The config hash every decision carries: sha256 over a canonical JSON form of the parsed
 * config (keys sorted), so comments, key order and quoting style do not change it but any
 * change of meaning does.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and undefined values dropped; `keep` can drop more keys. */
export function canonicalJson(value: unknown, keep: (key: string) => boolean = () => true): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, keep)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined && keep(k))
      .sort();
    return `{${keys
      .map(
        (k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], keep)}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function configHash(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex');
}
