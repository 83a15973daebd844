/**
 * Live routing config: one holder with the set in use — the routing config (its rules and its
 * `crm_mapping`, which the CRM adapters read through `crmMapping()`) and the shadow config named by
 * SHADOW_CONFIG — replaced only by a set whose every file parsed and validated completely. Routing
 * reads `current()` once per event, so an event is routed by one whole config, old or new, never
 * by half of each (a swap is one reference assignment of the whole set).
 *
 * Reloads are triggered by SIGHUP, by a change to the file (fs.watch on its directory, because
 * editors and `kubectl`/Docker config mounts replace the file by rename, which a watch on the file
 * itself stops seeing; the shadow file's directory is watched the same way) and by the admin API.
 * A broken routing or shadow file is rejected: the last good set keeps serving, and the rejection
 * is reported in the log, in `switchboard_config_*` metrics and in `GET /admin/config`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { ConfigInvalidError, loadRoutingConfigFile, type LoadedConfig } from './config-file.ts';
import type { Router } from './intake/router.ts';
import { route } from './routing/route.ts';
import type { RoutingConfig } from './routing/routing-config.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { CrmMapping } from './adapters/crm-mapping-schema.ts';
import type { CrmPort } from './adapters/crm-port.ts';
import type { Lead } from './routing/lead.ts';
import type { ShadowRouter } from './revops/shadow-store.ts';
import { shadowRouterFromConfig } from './revops/shadow-router.ts';

export type ReloadTrigger = 'start' | 'sighup' | 'file' | 'api';

export interface ConfigSnapshot {
  readonly config: RoutingConfig;
  readonly hash: string;
  readonly fileName: string;
  readonly reviewedOn: string;
  readonly reviewEvery: string;
  readonly loadedAt: string;
  /** Warnings the config loaded with (it loads; a human should still look). */
  readonly warnings: string[];
  /** SHADOW_CONFIG's config of the same generation; null when shadow mode is off. */
  readonly shadow: ShadowRouter | null;
  readonly shadowFileName: string | null;
  /** `crm_mapping` as text: whether two sets read leads alike. */
  readonly mappingKey: string;
}

export interface ReloadResult {
  readonly at: string;
  readonly trigger: ReloadTrigger;
  /** applied: a new config is serving; unchanged: same hash; rejected: the old one keeps serving. */
  readonly result: 'applied' | 'unchanged' | 'rejected';
  /** Hash serving after this attempt. */
  readonly hash: string;
  readonly previousHash: string;
  /** The shadow config's hash serving after this attempt, and before it (shadow mode only). */
  readonly shadowHash?: string;
  readonly previousShadowHash?: string;
  /** For a rejection: what is wrong, one line per issue with file:line:col. */
  readonly error?: string;
}

export interface ConfigHolderOptions {
  path: string;
  clock: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** Reads and validates the file; the default is loadRoutingConfigFile (tests may pass their own). */
  load?: (path: string) => Promise<LoadedConfig>;
  /** The config already loaded at start (the server checks it before opening the database). */
  initial?: LoadedConfig;
  /** SHADOW_CONFIG: a second config reloaded with the first, read with the same `load`. */
  shadowPath?: string;
}

export interface ConfigHolder {
  current(): ConfigSnapshot;
  lastReload(): ReloadResult | null;
  /** Reads the file again; concurrent calls share one read. Never throws. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>;
  /** The `crm_mapping` section in use (the adapters' mapping provider); same object until a swap. */
  crmMapping(): CrmMapping | undefined;
  /**
   * The adapter with its lead reads tied to the set in use when each read began (the set whose
   * `crm_mapping` the adapter read with): the router decides such a lead with that set's rules when
   * a reload has changed the mapping in between, so no lead is routed by new rules over fields the
   * old mapping read. Everything else passes through.
   */
  bindCrmReads<C extends Pick<CrmPort, 'readLead'> & Partial<Pick<CrmPort, 'readLeads'>>>(
    crm: C,
  ): C;
  /**
   * A Router that routes each call with the config current at that moment, and whose `shadow` is
   * the shadow config current at that moment (only with `shadowPath`).
   */
  router(): Router;
  /** Starts reloading on SIGHUP and on file change; returns a function that stops it. */
  watch(opts?: { debounceMs?: number; signal?: boolean; file?: boolean }): () => void;
}

/** Loads the files once (throws ConfigInvalidError / ConfigReadError: the server refuses to start). */
export async function createConfigHolder(opts: ConfigHolderOptions): Promise<ConfigHolder> {
  const load = opts.load ?? ((p: string) => loadRoutingConfigFile(p));
  const log = opts.log?.child({ component: 'config-reload' });
  // Both files are read and validated before anything is swapped: a broken shadow file rejects
  // the whole reload, so the live rules, the mapping and the shadow always come from one set.
  const loadSet = async (initial?: LoadedConfig): Promise<LoadedSet> => ({
    live: initial ?? (await load(opts.path)),
    shadow: opts.shadowPath === undefined ? null : await load(opts.shadowPath),
  });
  let snapshot = toSnapshot(await loadSet(opts.initial), opts.clock.now());
  let last: ReloadResult | null = null;
  let inFlight: Promise<ReloadResult> | null = null;
  publish(opts.metrics, snapshot, undefined);

  async function doReload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const before = snapshot;
    const at = opts.clock.now();
    let result: ReloadResult;
    const shadowHashes = (next: ConfigSnapshot) =>
      before.shadow && next.shadow
        ? { shadowHash: next.shadow.configHash, previousShadowHash: before.shadow.configHash }
        : {};
    try {
      const loaded = await loadSet();
      if (loaded.live.hash === before.hash && loaded.shadow?.hash === before.shadow?.configHash) {
        result = {
          at: at.toISOString(),
          trigger,
          result: 'unchanged',
          hash: before.hash,
          previousHash: before.hash,
          ...shadowHashes(before),
        };
      } else {
        snapshot = toSnapshot(loaded, at); // the swap: one assignment for the whole set
        result = {
          at: at.toISOString(),
          trigger,
          result: 'applied',
          hash: snapshot.hash,
          previousHash: before.hash,
          ...shadowHashes(snapshot),
        };
      }
    } catch (err) {
      const error =
        err instanceof ConfigInvalidError
          ? err.report
          : err instanceof Error
            ? err.message
            : String(err);
      result = {
        at: at.toISOString(),
        trigger,
        result: 'rejected',
        hash: before.hash,
        previousHash: before.hash,
        ...shadowHashes(before),
        error,
      };
    }
    last = result;
    opts.metrics?.configReloads.inc({ result: result.result, trigger });
    publish(opts.metrics, snapshot, result);
    if (result.result === 'rejected') {
      log?.error(
        { trigger, hash: result.hash, report: result.error },
        `routing config reload rejected; still serving ${short(result.hash)}${
          before.shadow ? ` (shadow ${short(before.shadow.configHash)})` : ''
        }`,
      );
    } else if (result.result === 'applied') {
      log?.info(
        {
          trigger,
          hash: result.hash,
          previousHash: result.previousHash,
          ...(result.shadowHash ? { shadowHash: result.shadowHash } : {}),
          warnings: snapshot.warnings,
        },
        `routing config reloaded: ${short(result.previousHash)} → ${short(result.hash)}`,
      );
    } else {
      log?.info({ trigger, hash: result.hash }, 'routing config unchanged');
    }
    return result;
  }

  /** The current set's rules, or those of the set the lead was read under if its mapping differs. */
  function configFor(lead: Lead): RoutingConfig {
    const current = snapshot;
    const under = (lead as Record<symbol, unknown>)[READ_UNDER] as ConfigSnapshot | undefined;
    return under !== undefined && under !== current && under.mappingKey !== current.mappingKey
      ? under.config
      : current.config;
  }

  const holder: ConfigHolder = {
    current: () => snapshot,
    lastReload: () => last,
    crmMapping: () => snapshot.config.data.crm_mapping as CrmMapping | undefined,
    bindCrmReads(crm) {
      const stamp = (lead: Lead | null | undefined, s: ConfigSnapshot) => {
        if (lead) (lead as Record<symbol, unknown>)[READ_UNDER] = s;
      };
      return new Proxy(crm, {
        get(target, prop) {
          // The target as receiver: the adapters keep their state in private fields.
          const v: unknown = Reflect.get(target, prop, target);
          if (typeof v !== 'function') return v;
          const fn = v as (...args: unknown[]) => unknown;
          // The adapters take the mapping synchronously as a read begins, so the set current at
          // the call is the one the read maps with.
          if (prop === 'readLead')
            return async (...args: unknown[]) => {
              const s = snapshot;
              const lead = (await fn.apply(target, args)) as Lead | null;
              stamp(lead, s);
              return lead;
            };
          if (prop === 'readLeads')
            return async (...args: unknown[]) => {
              const s = snapshot;
              const leads = (await fn.apply(target, args)) as Map<string, Lead | null>;
              for (const lead of leads.values()) stamp(lead, s);
              return leads;
            };
          return fn.bind(target);
        },
      });
    },
    reload(trigger) {
      // One read at a time: a burst of triggers (an editor writes three times) shares the read in
      // progress rather than racing two swaps.
      inFlight ??= doReload(trigger).finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    router() {
      return {
        get configHash() {
          return snapshot.hash;
        },
        route(lead, now, state) {
          // Read the reference once: the whole decision uses one config.
          return route(configFor(lead), lead, now, state);
        },
        get shadow() {
          return snapshot.shadow;
        },
      };
    },
    watch(w = {}) {
      const debounceMs = w.debounceMs ?? 300;
      const stops: Array<() => void> = [];
      if (w.signal !== false) {
        const onHup = () => void holder.reload('sighup');
        process.on('SIGHUP', onHup);
        stops.push(() => process.off('SIGHUP', onHup));
      }
      if (w.file !== false) {
        // One debounce for both files: a change to both (one rollout) is one reload.
        let timer: NodeJS.Timeout | null = null;
        const onChange = () => {
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            timer = null;
            void holder.reload('file');
          }, debounceMs);
        };
        stops.push(() => {
          if (timer) clearTimeout(timer);
        });
        for (const file of [opts.path, opts.shadowPath]) {
          if (file !== undefined) stops.push(watchFile(file, onChange, log));
        }
      }
      return () => stops.forEach((s) => s());
    },
  };
  return holder;
}

/**
 * Stamped on each lead a bound adapter read returns: the set it was read under. A symbol, so it
 * rides along through object spreads to the router but never reaches JSON, the database or a log.
 */
const READ_UNDER = Symbol('switchboard.readUnder');

interface LoadedSet {
  live: LoadedConfig;
  shadow: LoadedConfig | null;
}

/** Watches the file's directory; returns a function that stops watching. */
function watchFile(file: string, onChange: () => void, log: Logger | undefined): () => void {
  const abs = path.resolve(file);
  const base = path.basename(abs);
  try {
    const watcher = fs.watch(path.dirname(abs), { persistent: false }, (_event, name) => {
      // Kubernetes ConfigMap mounts swap a `..data` symlink rather than the file itself.
      const n = name?.toString();
      if (n !== undefined && n !== base && !n.startsWith('..')) return;
      onChange();
    });
    watcher.on('error', (err) =>
      log?.warn({ err, path: abs }, 'config file watch failed; SIGHUP still reloads'),
    );
    return () => watcher.close();
  } catch (err) {
    log?.warn({ err, path: abs }, 'cannot watch the config file; SIGHUP still reloads');
    return () => undefined;
  }
}

function toSnapshot(set: LoadedSet, at: Date): ConfigSnapshot {
  const loaded = set.live;
  const data = loaded.config.data as {
    reviewed_on?: unknown;
    review_every?: { text?: string } | string;
  };
  const every = data.review_every;
  return Object.freeze({
    config: loaded.config,
    hash: loaded.hash,
    fileName: loaded.config.fileName,
    reviewedOn: String(data.reviewed_on ?? ''),
    reviewEvery: typeof every === 'string' ? every : (every?.text ?? ''),
    loadedAt: at.toISOString(),
    warnings: [
      ...loaded.warnings.map((w) => w.message),
      ...(set.shadow?.warnings.map((w) => `shadow: ${w.message}`) ?? []),
    ],
    shadow: set.shadow ? shadowRouterFromConfig(set.shadow.config) : null,
    shadowFileName: set.shadow?.config.fileName ?? null,
    mappingKey: JSON.stringify(loaded.config.data.crm_mapping ?? null),
  });
}

function publish(m: Metrics | undefined, s: ConfigSnapshot, r: ReloadResult | undefined): void {
  if (!m) return;
  m.configInfo.reset();
  m.configInfo.set({ hash: s.hash, reviewed_on: s.reviewedOn }, 1);
  m.shadowConfigInfo.reset();
  if (s.shadow) m.shadowConfigInfo.set({ hash: s.shadow.configHash }, 1);
  m.configLastReloadSuccess.set(r?.result === 'rejected' ? 0 : 1);
}

const short = (h: string) => h.slice(0, 12);
