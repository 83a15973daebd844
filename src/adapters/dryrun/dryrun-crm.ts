/**
 * The dry-run CRM (kysely's DummyDriver idea): a real CrmPort that performs nothing remote. Every
 * write is recorded once per (key, op) in its sink — the `dryrun_writes` table in the service —
 * and logged; ids are derived from the key, so a retried write answers with the same ids. It is
 * what `npm start` uses on a bare machine, and it passes the adapters' contract suite.
 */
import { createHash } from 'node:crypto';
import type { Lead, LeadCrmRef } from '../../routing/lead.ts';
import type {
  CrmOwner,
  CrmPort,
  Engagement,
  RoutingWrite,
  RoutingWriteResult,
  TaskWrite,
  WriteOptions,
} from '../crm-port.ts';
import { CrmError } from '../crm-error.ts';
import { silentLog, type CrmDeps, type CrmLog } from '../crm-deps.ts';
import type { DryRunOp, DryRunSink } from './dryrun-sink.ts';

export interface DryRunOptions {
  /** Leads the dry run can "read" (JSON leads, tests); others read as missing. */
  leads?: Map<string, Lead>;
  /** Owners it reports; when given, unknown owner ids are refused like a real CRM would. */
  owners?: CrmOwner[];
  /** Company domain → account owner. */
  accounts?: Map<string, { accountId: string; ownerId: string }>;
  /** Engagement to report per lead id (tests and demos). */
  engagement?: Map<string, Omit<Engagement, 'evidence'>>;
}

const idFor = (op: DryRunOp, key: string) =>
  `dryrun-${op.replace('_', '-')}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

export class DryRunCrm implements CrmPort {
  readonly system = 'dryrun' as const;
  readonly #sink: DryRunSink;
  readonly #opts: DryRunOptions;
  readonly #log: CrmLog;

  constructor(sink: DryRunSink, deps: Pick<CrmDeps, 'log'> = {}, opts: DryRunOptions = {}) {
    this.#sink = sink;
    this.#opts = opts;
    this.#log = deps.log ?? silentLog;
  }

  async readLead(ref: LeadCrmRef): Promise<Lead | null> {
    return this.#opts.leads?.get(ref.id) ?? null;
  }

  async readLeads(refs: LeadCrmRef[]): Promise<Map<string, Lead | null>> {
    return new Map(
      await Promise.all(refs.map(async (r) => [r.id, await this.readLead(r)] as const)),
    );
  }

  async listOwners(): Promise<CrmOwner[]> {
    return [...(this.#opts.owners ?? [])];
  }

  async findAccountOwner(domain: string): Promise<{ accountId: string; ownerId: string } | null> {
    return this.#opts.accounts?.get(domain.toLowerCase()) ?? null;
  }

  #checkOwner(ownerId: string) {
    const owners = this.#opts.owners;
    if (owners && !owners.some((o) => o.id === ownerId && o.active)) {
      throw new CrmError(
        'CRM.UNKNOWN_OWNER',
        `dry run: owner ${ownerId} is not among the configured owners`,
        {
          crm: 'dryrun',
          status: 400,
          crmMessage: `${ownerId} is not a valid owner id`,
        },
      );
    }
  }

  async #record(op: DryRunOp, key: string, lead: LeadCrmRef, payload: unknown): Promise<string> {
    const id = await this.#sink.record({ key, op, lead, remoteId: idFor(op, key), payload });
    this.#log.info(
      { crm: 'dryrun', op, key, lead: `${lead.system}:${lead.id}`, remoteId: id },
      `dry run: would ${op.replace('_', ' ')}`,
    );
    return id;
  }

  async assignOwner(key: string, lead: LeadCrmRef, ownerId: string): Promise<void> {
    this.#checkOwner(ownerId);
    await this.#record('assign_owner', key, lead, { ownerId });
  }

  async createTask(
    key: string,
    lead: LeadCrmRef,
    task: TaskWrite,
    _opts?: WriteOptions,
  ): Promise<{ id: string }> {
    this.#checkOwner(task.ownerId);
    return { id: await this.#record('task', key, lead, task) };
  }

  async addNote(
    key: string,
    lead: LeadCrmRef,
    body: string,
    ownerId?: string,
    _opts?: WriteOptions,
  ): Promise<{ id: string }> {
    return { id: await this.#record('note', key, lead, { body, ...(ownerId ? { ownerId } : {}) }) };
  }

  async writeRouting(w: RoutingWrite): Promise<RoutingWriteResult> {
    this.#checkOwner(w.ownerId);
    if (w.task) this.#checkOwner(w.task.ownerId);
    await this.assignOwner(w.key, w.lead, w.ownerId);
    const task = w.task ? await this.createTask(w.key, w.lead, w.task) : undefined;
    const note = w.note ? await this.addNote(w.key, w.lead, w.note, w.ownerId) : undefined;
    return {
      ownerSet: true,
      ...(task ? { taskId: task.id } : {}),
      ...(note ? { noteId: note.id } : {}),
      calls: 0,
    };
  }

  async writeRoutings(writes: RoutingWrite[]): Promise<Array<RoutingWriteResult | Error>> {
    const out: Array<RoutingWriteResult | Error> = [];
    for (const w of writes) out.push(await this.writeRouting(w).catch((e: Error) => e));
    return out;
  }

  async readEngagement(lead: LeadCrmRef, _since: Date): Promise<Engagement> {
    const e = this.#opts.engagement?.get(lead.id);
    return e
      ? { ...e, evidence: ['dryrun: engagement configured for this lead'] }
      : {
          touched: false,
          opened: false,
          replied: false,
          meetingBooked: false,
          evidence: ['dryrun: no CRM to read engagement from'],
        };
  }

  async listRecentLeads(opts: { limit: number; since?: Date }): Promise<Lead[]> {
    const all = [...(this.#opts.leads?.values() ?? [])].filter(
      (l) =>
        !opts.since ||
        (l.created_at !== undefined && Date.parse(l.created_at) >= opts.since.getTime()),
    );
    all.sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''));
    return all.slice(0, opts.limit);
  }
}
