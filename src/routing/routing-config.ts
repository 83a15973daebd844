/**
 * A loaded routing.yaml: the checked data plus what was compiled from it once at load
 * (conditions as closures, the problem matcher, catalog tables) and the config hash. This is the
 * value `route()` takes; build it with `parseRoutingConfig` (pure) or `loadRoutingConfigFile`.
 */
import type { CatalogEntry } from './catalog.ts';
import type { CompiledCondition, CondNode, EvalContext } from './conditions.ts';
import type { LeadTypeData, RoutingConfigData } from './config-schema.ts';
import type { People } from './people.ts';
import type { CompiledProblems } from './problems.ts';

export interface CompiledLeadType {
  id: string;
  index: number;
  def: LeadTypeData;
  node: CondNode;
  test: CompiledCondition;
  /** For the matched type: the parts of `when` that held, with the lead's values. */
  explainMatch: (ctx: EvalContext) => string;
  /** Line of the type in routing.yaml, for traces. */
  line?: number;
}

export interface RoutingConfig {
  fileName: string;
  /** sha256 of the canonical config (see config-hash.ts). */
  hash: string;
  data: RoutingConfigData;
  leadTypes: CompiledLeadType[];
  problems: CompiledProblems;
  productLines: CatalogEntry[];
  caseStudies: CatalogEntry[];
  /** Calendars, handlers, pools and owner index, compiled once (people.ts). */
  people: People;
}
