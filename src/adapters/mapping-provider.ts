/**
 * Where an adapter gets its `crm_mapping` from: a fixed section (the CLI, tests) or a getter over
 * the live routing config (the service), so a reload changes which CRM properties the next read
 * asks for without rebuilding the client, its rate limiter or its OAuth token.
 */
import type { CrmMapping } from './crm-mapping-schema.ts';

export type CrmMappingSource = CrmMapping | (() => CrmMapping | undefined) | undefined;

/**
 * A getter for the resolved mapping. It resolves again only when the source hands out a different
 * section object (one per reload), so a read costs a reference comparison, not a merge. Callers
 * take the mapping once per read and use that one value for the properties they request and for
 * filling the lead: a read never mixes two mappings.
 */
export function mappingProvider<M>(
  source: CrmMappingSource,
  resolve: (m?: CrmMapping) => M,
): () => M {
  if (typeof source !== 'function') {
    const fixed = resolve(source);
    return () => fixed;
  }
  let cached: { raw: CrmMapping | undefined; resolved: M } | undefined;
  return () => {
    const raw = source();
    if (cached === undefined || cached.raw !== raw) cached = { raw, resolved: resolve(raw) };
    return cached.resolved;
  };
}
