/**
 * The service: env → routing config → database → migrations → CRM → app → worker → listen.
 * The config is checked first: an invalid routing.yaml refuses to start (with the `validate`
 * report) before any database is opened. Shutdown is graceful on the first SIGTERM/SIGINT
 * (stop accepting, finish in-flight requests and events, release claims, close the database)
 * and immediate on the second.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { loadEnv, type Env } from './env.ts';
import { createLogger, flushLog, stdoutDestination, type Logger } from './logger.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { systemClock, type Clock } from './clock.ts';
import { loadRoutingConfigFile } from './config-file.ts';
import { createInboxWorker, type InboxWorker } from './intake/inbox-worker.ts';
import type { CrmPort } from './adapters/crm-port.ts';
import { createCrm, crmSettingsFromEnv } from './adapters/create-crm.ts';
import { reportHandlerOwners, type HandlerOwnerReport } from './adapters/report-handler-owners.ts';
import { dbDryRunSink } from './adapters/dryrun/dryrun-sink.ts';
import { resolveSalesforceMapping, type CrmMapping } from './adapters/crm-mapping-schema.ts';
import type { CrmMappingSource } from './adapters/mapping-provider.ts';
import type { CrmCallRecord } from './adapters/crm-call.ts';
import { createPoller, type Poller } from './fallback/poller.ts';
import { createCheckpointFirer } from './fallback/fire-checkpoint.ts';
import { timerListener } from './fallback/timer-listeners.ts';
import { createOutboxRunner, type OutboxRunner } from './outbox/outbox-runner.ts';
import { createUnknownOwnerHandler } from './fallback/unknown-owner.ts';
import { createEngagementPoll } from './fallback/engagement-poll.ts';
import { withSalesforceEngagementFields } from './fallback/field-engagement.ts';
import { sql } from 'kysely';
import { createConfigHolder } from './config-reload.ts';
import { createMetrics } from './metrics/metrics.ts';
import {
  attachWorkerMetrics,
  instrumentRouter,
  pollerEventMetrics,
} from './metrics/worker-metrics.ts';
import { attachOutboxMetrics } from './metrics/outbox-metrics.ts';
import { crmCallCounter } from './metrics/crm-call-metrics.ts';

export interface RunningServer {
  app: FastifyInstance;
  handle: DatabaseHandle;
  worker: InboxWorker;
  poller: Poller;
  outbox: OutboxRunner;
  crm: CrmPort;
  /** The start-time owner id check (issue 6), still running while the server serves; null when skipped or failed. */
  ownerReport: Promise<HandlerOwnerReport | null>;
  log: Logger;
  /** `http://host:port` actually bound (PORT=0 picks a free port). */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  clock?: Clock;
  log?: Logger;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests do not). */
  handleSignals?: boolean;
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const env = opts.env ?? loadEnv();
  const log = opts.log ?? createLogger(env.LOG_LEVEL, stdoutDestination(env.LOG_SYNC));
  const clock = opts.clock ?? systemClock;

  const loaded = await loadRoutingConfigFile(env.ROUTING_CONFIG);
  for (const w of loaded.warnings) log.warn({ config: env.ROUTING_CONFIG, issue: w }, w.message);
  // Live config (SIGHUP, file change, POST /admin/config/reload): the worker's router, its shadow
  // (SHADOW_CONFIG), the adapters' crm_mapping and the poller read the holder per event; a broken
  // routing or shadow file keeps the last good set (issue 9).
  const metrics = createMetrics({ processMetrics: true });
  const configHolder = await createConfigHolder({
    path: env.ROUTING_CONFIG,
    clock,
    log,
    metrics,
    initial: loaded,
    ...(env.SHADOW_CONFIG ? { shadowPath: env.SHADOW_CONFIG } : {}),
  });
  const router = instrumentRouter(configHolder.router(), metrics);

  const handle = await openDatabase(
    env.DATABASE_URL
      ? {
          url: env.DATABASE_URL,
          poolMax: env.DATABASE_POOL_MAX,
          preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
          onError: (err) => log.warn({ err }, 'database connection error'),
        }
      : { dataDir: env.PGLITE_DIR },
  );
  try {
    const applied = await migrate(handle);
    if (applied.length > 0) log.info({ applied }, 'database migrated');

    // Reads tied to the config set they map with: a lead read across a reload that changed
    // crm_mapping is decided by the rules of the set that read it (src/config-reload.ts).
    const crm = configHolder.bindCrmReads(
      await createCrmPort(
        env,
        handle,
        clock,
        log,
        // Early exit: the Salesforce engagement fields (Status, LastActivityDate) ride along.
        () => withSalesforceEngagementFields(configHolder.crmMapping()),
        crmCallCounter(metrics),
      ),
    );
    // Issue 6: say at start which handlers' owner ids the CRM does not know. Not awaited: a slow
    // or unreachable CRM must not delay or stop start (the report logs and never throws).
    const ownerReport = reportHandlerOwners(crm, loaded.config, log.child({ component: 'crm' }));
    // The CRM outbox (issue 6): performs the crm_writes rows the worker and the poller queue.
    const outboxLog = log.child({ component: 'outbox' });
    const fallToBackup = createUnknownOwnerHandler({
      db: handle.db,
      crm: crm.system,
      clock,
      config: () => configHolder.current().config,
      log: outboxLog,
      onCrmWritesQueued: () => outbox.nudge(),
    });
    const outbox = createOutboxRunner({
      handle,
      crm,
      log: {
        info: (o, m) => outboxLog.info(o, m),
        warn: (o, m) => outboxLog.warn(o, m),
        error: (o, m) => outboxLog.error(o, m),
      },
      batchSize: env.OUTBOX_BATCH_SIZE,
      pollIntervalMs: env.OUTBOX_POLL_MS,
      staleLockSeconds: Math.round(env.OUTBOX_STALE_LOCK_MS / 1000),
      // Issue 6: a routing write the CRM refuses for an unknown owner id falls to the backup.
      onParked: async (row, err) => {
        await fallToBackup(row, err);
      },
    });
    const worker = createInboxWorker({
      handle,
      log,
      router,
      crm,
      clock,
      batchSize: env.WORKER_BATCH_SIZE,
      pollIntervalMs: env.WORKER_POLL_MS,
      staleLockSeconds: Math.round(env.WORKER_STALE_LOCK_MS / 1000),
      onCrmWritesQueued: () => outbox.nudge(),
      // An idle outbox gets a routed batch's writes handed over, claim-free (outbox-runner.ts).
      outbox,
    });
    attachWorkerMetrics(worker.events, metrics, { clock });
    attachOutboxMetrics(outbox.events, metrics);
    const app = await buildApp({
      env,
      handle,
      clock,
      log,
      configLoaded: () => true,
      salesforceMapping: resolveSalesforceMapping(
        withSalesforceEngagementFields(loaded.config.data.crm_mapping as CrmMapping | undefined),
      ).lead,
      onInboxInsert: () => worker.nudge(),
      metrics,
      config: configHolder,
    });
    // Fallback timers (issue 7): fires checkpoints whose time has come, on every instance.
    const poller = createPoller({
      db: handle.db,
      clock,
      fire: createCheckpointFirer({
        crm,
        config: () => configHolder.current().config,
        db: handle.db,
      }),
      listener: timerListener(handle),
      onEvent: pollerEventMetrics(metrics, clock),
    });
    // Early exit (issue 7): engagement no webhook reports, read every ENGAGEMENT_POLL_MS.
    const engagementPoll = createEngagementPoll({
      db: handle.db,
      clock,
      crm,
      intervalMs: env.ENGAGEMENT_POLL_MS,
      onEvent: (e) => {
        if (e.type === 'error') log.warn({ err: e.error }, 'engagement poll round failed');
      },
    });
    const url = await app.listen({ port: env.PORT, host: env.HOST });
    const stopConfigWatch = configHolder.watch({ signal: opts.handleSignals === true });
    if (env.WORKER_ENABLED) {
      await worker.start();
      await poller.start();
      engagementPoll.start();
      await outbox.start();
    }
    log.info(
      {
        url,
        db: handle.kind === 'pg' ? 'postgres' : `pglite:${env.PGLITE_DIR}`,
        crm: crm.system,
        config: env.ROUTING_CONFIG,
        configHash: loaded.hash,
        worker: env.WORKER_ENABLED,
      },
      'switchboard is serving',
    );

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        log.info('shutting down: no new requests, finishing in-flight work');
        stopConfigWatch();
        await app.close(); // stops accepting, waits for in-flight requests
        // Finish the event / timer in hand, release the rest for another instance.
        await Promise.all([
          worker.stop(env.SHUTDOWN_TIMEOUT_MS),
          poller.stop({ deadlineMs: env.SHUTDOWN_TIMEOUT_MS }),
          engagementPoll.stop(env.SHUTDOWN_TIMEOUT_MS),
        ]);
        await outbox.stop(env.SHUTDOWN_TIMEOUT_MS); // last: the worker may still have queued writes
        await handle.close();
        log.info('shut down cleanly');
      })());

    if (opts.handleSignals) {
      let signals = 0;
      // The log is buffered: its last lines are written before the process exits.
      const exit = (code: number, flushTimeoutMs?: number) =>
        void flushLog(log, flushTimeoutMs).then(() => process.exit(code));
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          log.warn(
            { signal: sig },
            'second signal: exiting now; unfinished events are reclaimed by the next start',
          );
          return exit(1, 500);
        }
        close().then(
          () => exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    return { app, handle, worker, poller, outbox, crm, ownerReport, log, url, close };
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

/**
 * The CRM adapter chosen by `CRM` (default dryrun). The dry run records into the `dryrun_writes`
 * table when its migration is present (so records survive a restart), in memory otherwise.
 */
async function createCrmPort(
  env: Env,
  handle: DatabaseHandle,
  clock: Clock,
  log: Logger,
  mapping: CrmMappingSource,
  onCall: (record: CrmCallRecord) => void,
): Promise<CrmPort> {
  const settings = crmSettingsFromEnv(env, mapping);
  const hasTable = await sql<{ t: string | null }>`select to_regclass('dryrun_writes')::text as t`
    .execute(handle.db)
    .then((r) => r.rows[0]?.t != null);
  const crmLog = log.child({ component: 'crm' });
  return createCrm(settings, {
    clock,
    log: { info: (o, m) => crmLog.info(o, m), warn: (o, m) => crmLog.warn(o, m) },
    onCall,
    ...(hasTable ? { dryRunSink: dbDryRunSink(handle.db as never) } : {}),
  });
}
