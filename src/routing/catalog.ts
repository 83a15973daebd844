/**
 * `product_lines:` and `case_studies:`: ordered tables from which the first touch picks the entry
 * that fits the lead. First match in file order wins; an entry with `default: true` (or
 * `when: always`) is used when nothing more specific matches.
 */
import {
  compileCondition,
  parseCondition,
  type CompiledCondition,
  type CondNode,
  type EvalContext,
  type KeyedIssue,
} from './conditions.ts';
import type { ConfigPath } from './config-issue.ts';
import type { CatalogEntryData } from './config-schema.ts';

export interface CatalogEntry {
  id: string;
  title: string;
  url?: string;
  summary?: string;
  isDefault: boolean;
  node: CondNode | null;
  test: CompiledCondition | null;
}

export interface CatalogPick {
  entry: CatalogEntry | null;
  /** `case study northwind: industry in ["Logistics", …]` or `case study: default northwind`. */
  reason: string;
}

export function compileCatalog(
  entries: CatalogEntryData[] | undefined,
  path: ConfigPath,
  issues: KeyedIssue[],
): CatalogEntry[] {
  return (entries ?? []).map((e, i) => {
    const node = e.when === undefined ? null : parseCondition(e.when, [...path, i, 'when'], issues);
    if (e.when === undefined && !e.default) {
      issues.push({
        severity: 'error',
        path: [...path, i],
        message: `"${e.id}" needs \`when:\` (a condition) or \`default: true\``,
      });
    }
    return {
      id: e.id,
      title: e.title,
      url: e.url,
      summary: e.summary,
      isDefault: e.default === true || node?.kind === 'always',
      node,
      test: node ? compileCondition(node) : null,
    };
  });
}

/** The first entry whose condition holds; else the first default; else none. */
export function pickCatalogEntry(
  catalog: readonly CatalogEntry[],
  ctx: EvalContext,
  label: string,
): CatalogPick {
  for (const e of catalog) {
    if (e.test && e.node?.kind !== 'always' && e.test(ctx) === null)
      return { entry: e, reason: `${label} ${e.id}: its condition holds` };
  }
  const d = catalog.find((e) => e.isDefault);
  if (d) return { entry: d, reason: `${label} ${d.id}: default (no other entry matched)` };
  return { entry: null, reason: `${label}: none matched and no default` };
}
