-- The durable inbox: every accepted webhook event / JSON lead, stored before the sender gets its
-- answer. (source, dedupe_key) makes a redelivery a no-op. The row carries its own lifecycle in
-- graphile-worker's shape: run_at, attempts, locks, last_error.
create table inbox (
  id bigint generated always as identity primary key,
  source text not null,                       -- hubspot | salesforce | json
  dedupe_key text not null,                   -- per source, see src/intake/*-events.ts
  kind text not null,                         -- route | reroute | engagement
  payload jsonb not null,                     -- InboxPayload (src/intake/inbox-payload.ts)
  status text not null default 'pending',     -- pending | in_flight | done | parked
  attempts int not null default 0,
  max_attempts int not null default 10,
  run_at timestamptz not null default now(),
  locked_at timestamptz,
  locked_by text,
  last_error text,
  outcome text,                               -- what the worker did: routed, duplicate, recorded, gone
  lead_id bigint,
  decision_id bigint,
  received_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  done_at timestamptz,
  constraint inbox_source_dedupe unique (source, dedupe_key),
  constraint inbox_status check (status in ('pending', 'in_flight', 'done', 'parked'))
);

-- The claim query reads only ready rows; done rows pile up and must not slow it.
create index inbox_ready on inbox (run_at, id) where status = 'pending';
create index inbox_in_flight on inbox (locked_at) where status = 'in_flight';
create index inbox_lead on inbox (lead_id);
