/**
 * Live routing config: one holder with the config in use, replaced only by a config that parsed
 * and validated completely. Routing reads `current()` once per event, so an event is routed by one
 * whole config, old or new, never by half of each (a swap is one reference assignment).
 *
 * Reloads are triggered by SIGHUP, by a change to the file (fs.watch on its directory, because
 * editors and `kubectl`/Docker config mounts replace the file by rename, which a watch on the file
 * itself stops seeing) and by the admin API. A broken file is rejected: the last good config keeps
 * serving, and the rejection is reported in the log, in `switchboard_config_*` metrics and in
 * `GET /admin/config`.
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
}

export interface ReloadResult {
  readonly at: string;
  readonly trigger: ReloadTrigger;
  /** applied: a new config is serving; unchanged: same hash; rejected: the old one keeps serving. */
  readonly result: 'applied' | 'unchanged' | 'rejected';
  /** Hash serving after this attempt. */
  readonly hash: string;
  readonly previousHash: string;
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
}

export interface ConfigHolder {
  current(): ConfigSnapshot;
  lastReload(): ReloadResult | null;
  /** Reads the file again; concurrent calls share one read. Never throws. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>;
  /**
   * A Router that routes each call with the config current at that moment. `shadow` (SHADOW_CONFIG)
   * is passed through unchanged: the shadow config is not reloaded.
   */
  router(opts?: { shadow?: Router['shadow'] }): Router;
  /** Starts reloading on SIGHUP and on file change; returns a function that stops it. */
  watch(opts?: { debounceMs?: number; signal?: boolean; file?: boolean }): () => void;
}

/** Loads the file once (throws ConfigInvalidError / ConfigReadError: the server refuses to start). */
export async function createConfigHolder(opts: ConfigHolderOptions): Promise<ConfigHolder> {
  const load = opts.load ?? ((p: string) => loadRoutingConfigFile(p));
  const log = opts.log?.child({ component: 'config-reload' });
  let snapshot = toSnapshot(opts.initial ?? (await load(opts.path)), opts.clock.now());
  let last: ReloadResult | null = null;
  let inFlight: Promise<ReloadResult> | null = null;
  publish(opts.metrics, snapshot, undefined);

  async function doReload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const before = snapshot;
    const at = opts.clock.now();
    let result: ReloadResult;
    try {
      const loaded = await load(opts.path);
      if (loaded.hash === before.hash) {
        result = {
          at: at.toISOString(),
          trigger,
          result: 'unchanged',
          hash: before.hash,
          previousHash: before.hash,
        };
      } else {
        snapshot = toSnapshot(loaded, at); // the swap: one assignment
        result = {
          at: at.toISOString(),
          trigger,
          result: 'applied',
          hash: snapshot.hash,
          previousHash: before.hash,
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
        error,
      };
    }
    last = result;
    opts.metrics?.configReloads.inc({ result: result.result, trigger });
    publish(opts.metrics, snapshot, result);
    if (result.result === 'rejected') {
      log?.error(
        { trigger, hash: result.hash, report: result.error },
        `routing config reload rejected; still serving ${short(result.hash)}`,
      );
    } else if (result.result === 'applied') {
      log?.info(
        {
          trigger,
          hash: result.hash,
          previousHash: result.previousHash,
          warnings: snapshot.warnings,
        },
        `routing config reloaded: ${short(result.previousHash)} → ${short(result.hash)}`,
      );
    } else {
      log?.info({ trigger, hash: result.hash }, 'routing config unchanged');
    }
    return result;
  }

  const holder: ConfigHolder = {
    current: () => snapshot,
    lastReload: () => last,
    reload(trigger) {
      // One read at a time: a burst of triggers (an editor writes three times) shares the read in
      // progress rather than racing two swaps.
      inFlight ??= doReload(trigger).finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    router(ropts = {}) {
      return {
        get configHash() {
          return snapshot.hash;
        },
        route(lead, now, state) {
          // Read the reference once: the whole decision uses one config.
          const config = snapshot.config;
          return route(config, lead, now, state);
        },
        ...(ropts.shadow !== undefined ? { shadow: ropts.shadow } : {}),
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
        const abs = path.resolve(opts.path);
        const base = path.basename(abs);
        let timer: NodeJS.Timeout | null = null;
        try {
          const watcher = fs.watch(path.dirname(abs), { persistent: false }, (_event, name) => {
            // Kubernetes ConfigMap mounts swap a `..data` symlink rather than the file itself.
            const n = name?.toString();
            if (n !== undefined && n !== base && !n.startsWith('..')) return;
            if (timer) clearTimeout(timer);
            timer = setTimeout(() => {
              timer = null;
              void holder.reload('file');
            }, debounceMs);
          });
          watcher.on('error', (err) =>
            log?.warn({ err }, 'config file watch failed; SIGHUP still reloads'),
          );
          stops.push(() => {
            if (timer) clearTimeout(timer);
            watcher.close();
          });
        } catch (err) {
          log?.warn({ err, path: abs }, 'cannot watch the routing config; SIGHUP still reloads');
        }
      }
      return () => stops.forEach((s) => s());
    },
  };
  return holder;
}

function toSnapshot(loaded: LoadedConfig, at: Date): ConfigSnapshot {
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
    warnings: loaded.warnings.map((w) => w.message),
  });
}

function publish(m: Metrics | undefined, s: ConfigSnapshot, r: ReloadResult | undefined): void {
  if (!m) return;
  m.configInfo.reset();
  m.configInfo.set({ hash: s.hash, reviewed_on: s.reviewedOn }, 1);
  m.configLastReloadSuccess.set(r?.result === 'rejected' ? 0 : 1);
}

const short = (h: string) => h.slice(0, 12);
