/**
 * Shadow mode wiring: SHADOW_CONFIG → a router the intake worker calls beside the live one (see
 * recordShadowDecision). Loading validates the file like the live config: an invalid shadow
 * config stops the service at start with positioned errors rather than recording nonsense.
 */
import { route } from '../routing/route.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';
import { configFromFile } from './config-source.ts';
import type { ShadowRouter } from './shadow-store.ts';

export function shadowRouterFromConfig(config: RoutingConfig): ShadowRouter {
  return {
    configHash: config.hash,
    route: (lead, now, state) => route(config, lead, now, state),
  };
}

/** Null when SHADOW_CONFIG is unset (shadow mode off). */
export async function loadShadowRouter(path: string | undefined): Promise<ShadowRouter | null> {
  return path ? shadowRouterFromConfig(await configFromFile(path)) : null;
}
