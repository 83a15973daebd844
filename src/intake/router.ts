/**
 * What the worker needs from the routing core: a decision for a lead, and the hash of the config
 * it decides under. `routerFromConfig` binds the pure `route()` to a loaded config.
 */
import type { Decision, RoutingState } from '../routing/decision.ts';
import type { Lead } from '../routing/lead.ts';
import { route } from '../routing/route.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';

export interface Router {
  readonly configHash: string;
  route(lead: Lead, now: Date, state: RoutingState): Decision;
  /** Shadow mode (SHADOW_CONFIG): decided beside each live decision and only recorded (src/revops/shadow-store.ts). */
  readonly shadow?: Pick<Router, 'configHash' | 'route'> | null;
}

export function routerFromConfig(config: RoutingConfig): Router {
  return {
    configHash: config.hash,
    route: (lead, now, state) => route(config, lead, now, state),
  };
}
