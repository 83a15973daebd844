-- Fallback timers (issue 7), in graphile-worker's shape: the row carries its whole lifecycle.
-- One row per checkpoint of a decision's fallback plan; `key` (lead:decision:checkpoint) makes a
-- re-stored decision a no-op instead of a second timer. Each row keeps its own copy of the
-- checkpoint (`plan`) and the config hash it came from, so a config change never rewrites a timer
-- that is already scheduled.
create table if not exists timers (
  id bigint generated always as identity primary key,
  lead_id bigint not null references leads (id),
  decision_id bigint not null references decisions (id),
  checkpoint_id text not null,
  key text not null unique,
  run_at timestamptz not null,
  status text not null default 'pending'
    check (status in ('pending', 'fired', 'cancelled', 'parked')),
  attempts smallint not null default 0,
  max_attempts smallint not null default 5,
  last_error text,
  locked_at timestamptz,
  locked_by text,
  config_hash text not null,
  plan jsonb not null,
  -- Engagement is read "since" this instant: when the lead was assigned to its current holder.
  since timestamptz not null,
  -- What the firing saw and did (engagement, branch, actions) or why it was cancelled/parked.
  outcome jsonb,
  fired_at timestamptz,
  lateness_ms integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- The claim query's only index: small because fired/cancelled/locked rows are not in it. It
-- carries id too because the claim orders by (run_at, id): with run_at alone, a burst of timers
-- due at the same instant made every claim sort the whole burst (100,000 equal run_at values:
-- 1,746 → 787 firings/s between 10,000 and 100,000 due in bench/timers.bench.ts).
create index if not exists timers_due_idx on timers (run_at, id) where status = 'pending' and locked_at is null;
create index if not exists timers_lead_idx on timers (lead_id);
-- For the stale-lock sweep.
create index if not exists timers_locked_idx on timers (locked_at) where locked_at is not null;

-- The lead's fallback history, a row per event: each firing (what it saw: engagement and
-- evidence; what it did: branch, actions, CRM writes queued, reassignment), each cancellation
-- (early exit, reassignment, nurture) and each timer parked after failing. Engagement signals
-- received by webhook are in lead_events (0002); this table says what the engine made of them.
create table if not exists fallback_events (
  id bigint generated always as identity primary key,
  lead_id bigint not null references leads (id),
  timer_id bigint references timers (id),
  kind text not null, -- fired | cancelled | parked | early_exit
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists fallback_events_lead_idx on fallback_events (lead_id, id);
