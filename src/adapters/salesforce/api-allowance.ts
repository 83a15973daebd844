/**
 * Acting on Salesforce's org-wide API allowance. Every REST answer carries
 * `Sforce-Limit-Info: api-usage=<used>/<limit>`: calls made to the org in the last 24 hours, by
 * every integration, against its allocation. When an org goes over it, Salesforce may block every
 * API user of the org until the 24 h usage drops back under the limit (403
 * REQUEST_LIMIT_EXCEEDED), so Switchboard must not be the integration that runs it dry.
 *
 * - At or above `threshold` (share of the limit; SALESFORCE_API_USAGE_THRESHOLD_PERCENT) the
 *   adapter *conserves*: the limiter is throttled to what the allowance refills on average
 *   (limit / 1440 per minute), so Switchboard alone no longer adds to the usage, and non-urgent
 *   reads (replay, taxonomy, the owner check at start) are refused with CRM.QUOTA_EXHAUSTED.
 *   Routing writes and the reads routing needs go on, paced.
 * - At the limit (used ≥ limit in the header, or REQUEST_LIMIT_EXCEEDED from Salesforce) every call
 *   is *held* for `holdMs`: refused at once with CRM.QUOTA_EXHAUSTED and a `retryAfterMs`, which the
 *   outbox honours, so its rows back off instead of hammering a blocked org. The first call after
 *   the hold is the probe: its answer's header says whether to hold again.
 *
 * One warning per crossing (into conserving, into held); one info line when usage is back under.
 * Usage must fall below the threshold by `HYSTERESIS` before conserving ends, so a usage hovering
 * at the threshold does not flap the throttle or the log.
 */
import type { Clock } from '../../clock.ts';
import { CrmError } from '../crm-error.ts';
import type { CrmLog } from '../crm-deps.ts';
import type { RateLimiter, RateLimitSettings } from '../rate-limiter.ts';

export interface ApiUsage {
  used: number;
  limit: number;
}

/** Whether a call may be refused to save the allowance for routing. */
export type CallUrgency = 'urgent' | 'deferrable';

export type AllowanceState = 'normal' | 'conserving' | 'held';

export const DEFAULT_API_USAGE_THRESHOLD = 0.9;
/** How long calls are held once the allowance is spent: usage in a 24 h window falls slowly. */
export const DEFAULT_QUOTA_HOLD_MS = 5 * 60_000;
export const HYSTERESIS = 0.01;

/** The pace at which a rolling 24 h allowance refills on average, as a per-minute window. */
export const refillPace = (limit: number): RateLimitSettings => ({
  max: Math.max(1, Math.floor(limit / 1440)),
  intervalMs: 60_000,
});

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;

export class ApiAllowance {
  readonly #threshold: number;
  readonly #holdMs: number;
  readonly #limiter: RateLimiter;
  readonly #clock: Clock;
  readonly #log: CrmLog;
  #usage: ApiUsage | undefined;
  #conserving = false;
  #heldUntil = 0;
  /** A hold was announced and usage has not been seen under the limit since. */
  #spent = false;

  constructor(opts: {
    threshold?: number;
    holdMs?: number;
    limiter: RateLimiter;
    clock: Clock;
    log: CrmLog;
  }) {
    const t = opts.threshold ?? DEFAULT_API_USAGE_THRESHOLD;
    if (!(t > 0 && t <= 1)) {
      throw new Error(`Salesforce API usage threshold must be a share in (0, 1], got ${t}`);
    }
    this.#threshold = t;
    this.#holdMs = opts.holdMs ?? DEFAULT_QUOTA_HOLD_MS;
    this.#limiter = opts.limiter;
    this.#clock = opts.clock;
    this.#log = opts.log;
  }

  get usage(): ApiUsage | undefined {
    return this.#usage;
  }

  get state(): AllowanceState {
    if (this.#clock.now().getTime() < this.#heldUntil) return 'held';
    return this.#conserving ? 'conserving' : 'normal';
  }

  #usageText(): string {
    const u = this.#usage;
    return u
      ? `${u.used.toLocaleString('en-US')}/${u.limit.toLocaleString('en-US')} calls in the last 24 h`
      : 'usage unknown';
  }

  /** Before a call: throws CRM.QUOTA_EXHAUSTED when it must not be sent now. */
  admit(what: string, urgency: CallUrgency): void {
    const now = this.#clock.now().getTime();
    if (now < this.#heldUntil) {
      throw new CrmError(
        'CRM.QUOTA_EXHAUSTED',
        `Salesforce org API allowance is spent (${this.#usageText()}): ${what} not sent; Switchboard holds its Salesforce calls until ${new Date(this.#heldUntil).toISOString()}, then tries again. Setup → System Overview → API Usage shows what spends it; Salesforce can raise the allocation`,
        { crm: 'salesforce', retryAfterMs: this.#heldUntil - now },
      );
    }
    if (this.#conserving && urgency === 'deferrable') {
      throw new CrmError(
        'CRM.QUOTA_EXHAUSTED',
        `Salesforce org API usage is above ${pct(this.#threshold)} of its allowance (${this.#usageText()}): ${what} is held back so the rest goes to routing writes; run it again once usage falls (SALESFORCE_API_USAGE_THRESHOLD_PERCENT sets the share)`,
        { crm: 'salesforce', retryAfterMs: this.#holdMs },
      );
    }
  }

  /** After every answer that carried `Sforce-Limit-Info`. */
  observe(usage: ApiUsage): void {
    if (!(usage.limit > 0) || !(usage.used >= 0)) return;
    this.#usage = { used: usage.used, limit: usage.limit };
    const share = usage.used / usage.limit;
    if (usage.used >= usage.limit) {
      this.#hold('the usage header reached the limit');
      return;
    }
    if (this.#spent) {
      this.#spent = false;
      this.#log.info(
        { crm: 'salesforce', used: usage.used, limit: usage.limit },
        'Salesforce API allowance is available again',
      );
    }
    if (share >= this.#threshold && !this.#conserving) {
      this.#conserving = true;
      const pace = refillPace(usage.limit);
      this.#limiter.throttle(pace);
      this.#log.warn(
        {
          crm: 'salesforce',
          used: usage.used,
          limit: usage.limit,
          threshold: this.#threshold,
          pacePerMinute: pace.max,
        },
        `Salesforce org API usage crossed ${pct(this.#threshold)} of its 24 h allowance (${this.#usageText()}): pacing Switchboard to ${pace.max} calls/min and refusing replay/taxonomy/owner-check reads until it falls`,
      );
    } else if (this.#conserving && share < this.#threshold - HYSTERESIS) {
      this.#conserving = false;
      this.#limiter.throttle(null);
      this.#log.info(
        { crm: 'salesforce', used: usage.used, limit: usage.limit, threshold: this.#threshold },
        'Salesforce org API usage is back under the threshold: normal pacing',
      );
    }
  }

  /** Salesforce answered REQUEST_LIMIT_EXCEEDED for the allocation: hold, and say until when. */
  spent(err: CrmError): CrmError {
    this.#hold('Salesforce answered REQUEST_LIMIT_EXCEEDED');
    return new CrmError(
      'CRM.QUOTA_EXHAUSTED',
      `${err.message}; Switchboard holds its Salesforce calls until ${new Date(this.#heldUntil).toISOString()}`,
      {
        crm: 'salesforce',
        ...(err.status === undefined ? {} : { status: err.status }),
        ...(err.crmMessage === undefined ? {} : { crmMessage: err.crmMessage }),
        ...(err.crmCode === undefined ? {} : { crmCode: err.crmCode }),
        retryAfterMs: this.#heldUntil - this.#clock.now().getTime(),
        cause: err,
      },
    );
  }

  #hold(why: string) {
    const now = this.#clock.now().getTime();
    this.#heldUntil = Math.max(this.#heldUntil, now + this.#holdMs);
    if (
      this.#usage &&
      !this.#conserving &&
      this.#usage.used / this.#usage.limit >= this.#threshold
    ) {
      // Reached the limit in one step (or the first answer seen): pace as when conserving.
      this.#conserving = true;
      this.#limiter.throttle(refillPace(this.#usage.limit));
    }
    if (this.#spent) return;
    this.#spent = true;
    this.#log.warn(
      {
        crm: 'salesforce',
        ...(this.#usage ? { used: this.#usage.used, limit: this.#usage.limit } : {}),
        holdMs: this.#holdMs,
      },
      `Salesforce org API allowance is spent (${why}; ${this.#usageText()}): holding every Salesforce call for ${Math.round(this.#holdMs / 1000)} s at a time; queued CRM writes wait in the outbox`,
    );
  }
}
