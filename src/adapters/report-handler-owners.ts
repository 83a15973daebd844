/**
 * Issue 6, at start: "check every handler's owner id exists and say which do not". Resolves each
 * handler's owner id for the active CRM, asks the CRM (checkOwners) and logs one warning naming the
 * handlers whose id is unknown or inactive, so an operator fixes routing.yaml before a lead bounces.
 * The report changes no routing: a handler named here is still chosen, and a lead falls to its
 * backup only when the CRM actually refuses the write (src/fallback/unknown-owner.ts).
 *
 * Never throws: a CRM outage at start must not stop the service (routing still works; the
 * outbox retries writes), so a failed check is logged and reported as `null`.
 */
import type { CrmPort } from './crm-port.ts';
import { checkOwners } from './check-owners.ts';
import type { RoutingConfig } from '../routing/routing-config.ts';

export interface HandlerOwnerReport {
  ok: boolean;
  /** Handler ids whose owner id the CRM does not know. */
  missing: string[];
  /** Handler ids whose owner id is deactivated / archived. */
  inactive: string[];
  /** Handler ids with no owner id for this CRM at all (writes would use another CRM's id). */
  unset: string[];
  message: string;
}

export interface OwnerReportLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export async function reportHandlerOwners(
  crm: CrmPort,
  config: Pick<RoutingConfig, 'people'>,
  log: OwnerReportLog,
): Promise<HandlerOwnerReport | null> {
  const system = crm.system;
  // The dry-run CRM records whatever id is configured: nothing to check against.
  if (system === 'dryrun') return null;
  const byOwner = new Map<string, string[]>();
  const unset: string[] = [];
  for (const h of config.people.handlers.values()) {
    const id = h.owner[system];
    if (!id) {
      unset.push(h.id);
      continue;
    }
    byOwner.set(id, [...(byOwner.get(id) ?? []), h.id]);
  }
  let check;
  try {
    check = await checkOwners(crm, byOwner.keys());
  } catch (err) {
    log.warn(
      { err, crm: system },
      `could not check handler owner ids in ${system} at start (the service runs on): ${err instanceof Error ? err.message : String(err)}`,
    );
    return null;
  }
  const handlersOf = (ids: string[]) => ids.flatMap((id) => byOwner.get(id) ?? []);
  const describe = (ids: string[]) =>
    ids.map((id) => `${(byOwner.get(id) ?? []).join(', ')} (${id})`).join('; ');
  const missing = handlersOf(check.missing);
  const inactive = handlersOf(check.inactive);
  const parts = [
    check.missing.length ? `unknown in ${system}: ${describe(check.missing)}` : '',
    check.inactive.length ? `inactive in ${system}: ${describe(check.inactive)}` : '',
    unset.length ? `no ${system} owner id configured: ${unset.join(', ')}` : '',
  ].filter(Boolean);
  const ok = parts.length === 0;
  const message = ok
    ? `all ${config.people.handlers.size} handlers have an active ${system} owner id`
    : `handler owner ids to fix in routing.yaml (handlers.<id>.owner.${system}): ${parts.join(' | ')}`;
  const report = { ok, missing, inactive, unset, message };
  if (ok) log.info({ crm: system }, message);
  else log.warn({ crm: system, missing, inactive, unset }, message);
  return report;
}
