/** What every adapter factory receives besides its settings: time, pacing and a log. */
import type { Clock } from '../clock.ts';
import type { Sleep } from './rate-limiter.ts';
import type { CrmCallRecord } from './crm-call.ts';

/** The slice of pino the adapters use, so tests can pass a recorder. */
export interface CrmLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLog: CrmLog = { info: () => undefined, warn: () => undefined };

export interface CrmDeps {
  clock: Clock;
  /** Injected so tests run the limiter on virtual time. */
  sleep?: Sleep;
  log?: CrmLog;
  signal?: AbortSignal;
  /** Each HTTP attempt as it ends (the service counts them in switchboard_crm_calls_total). */
  onCall?: (record: CrmCallRecord) => void;
}
