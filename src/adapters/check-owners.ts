/**
 * At start: does every handler's owner id exist (and is it active) in the CRM? The answer is
 * advice only: reportHandlerOwners logs it (one warning naming the handlers) and nothing else reads
 * it — not the health endpoints, not routing. Such a handler is still chosen; only when the CRM
 * then refuses the routing write (CRM.UNKNOWN_OWNER) does src/fallback/unknown-owner.ts re-decide
 * that lead with the handler in `RoutingState.unusableHandlers`, so it falls to the backup.
 */
import type { CrmPort } from './crm-port.ts';

export interface OwnerCheck {
  ok: boolean;
  /** Owner ids the CRM does not know. */
  missing: string[];
  /** Owner ids that exist but are deactivated / archived. */
  inactive: string[];
  /** One sentence for the log and the health endpoint. */
  message: string;
}

export async function checkOwners(
  crm: CrmPort,
  handlerOwnerIds: Iterable<string>,
): Promise<OwnerCheck> {
  const wanted = [...new Set(handlerOwnerIds)].filter((id) => id !== '');
  if (crm.system === 'dryrun' && (await crm.listOwners()).length === 0) {
    return { ok: true, missing: [], inactive: [], message: 'dry run: owner ids are not checked' };
  }
  const owners = new Map((await crm.listOwners()).map((o) => [o.id, o]));
  // Salesforce ids come as 15 or 18 characters; compare on the case-sensitive 15-character prefix.
  const find = (id: string) =>
    owners.get(id) ??
    [...owners.values()].find(
      (o) => o.id.length >= 15 && id.length >= 15 && o.id.slice(0, 15) === id.slice(0, 15),
    );
  const missing = wanted.filter((id) => !find(id));
  const inactive = wanted.filter((id) => find(id)?.active === false);
  const ok = missing.length === 0 && inactive.length === 0;
  const parts = [
    missing.length ? `unknown in ${crm.system}: ${missing.join(', ')}` : '',
    inactive.length ? `inactive in ${crm.system}: ${inactive.join(', ')}` : '',
  ].filter(Boolean);
  return {
    ok,
    missing,
    inactive,
    message: ok
      ? `all ${wanted.length} handler owner ids exist in ${crm.system}`
      : `handler owner ids ${parts.join('; ')}`,
  };
}
