-- Leads, routing decisions, pool counters and the CRM-write outbox. The worker writes all four
-- in one transaction per inbox event.

create table leads (
  id bigint generated always as identity primary key,
  crm_system text not null,                  -- hubspot | salesforce | json
  crm_object text not null,                  -- contact | lead
  crm_id text not null,
  tenant text not null default '',           -- HubSpot portal id / Salesforce org id
  lead jsonb not null,                       -- the normalised Lead (src/routing/lead.ts)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint leads_crm_ref unique (crm_system, tenant, crm_id)
);

alter table inbox add constraint inbox_lead_fk foreign key (lead_id) references leads (id);

create table decisions (
  id bigint generated always as identity primary key,
  lead_id bigint not null references leads (id),
  inbox_id bigint references inbox (id),
  reason text not null,                      -- route | reroute
  config_hash text not null,
  lead_type text not null,
  handler_id text not null,
  decided_at timestamptz not null,
  decision jsonb not null,                   -- Decision (src/routing/decision.ts), trace included
  created_at timestamptz not null default now()
);
create index decisions_lead on decisions (lead_id, id);

alter table inbox add constraint inbox_decision_fk foreign key (decision_id) references decisions (id);

-- Pool pick counters: one row per pool member and period ('total', 'day' or 'week' with its
-- member-local key). Incremented with an upsert, so several instances never lose a count.
create table pool_counts (
  pool text not null,
  member text not null,
  period text not null,                      -- total | day | week
  period_key text not null,                  -- '' for total, 2026-11-28, 2026-W48
  count int not null default 0,
  updated_at timestamptz not null default now(),
  primary key (pool, member, period, period_key)
);

-- CRM engagement signals that arrive by webhook (HubSpot property changes), for fallback checkpoints.
create table lead_events (
  id bigint generated always as identity primary key,
  lead_id bigint references leads (id),
  crm_system text not null,
  tenant text not null default '',
  crm_id text not null,
  kind text not null,                        -- property_change
  property text,
  value text,
  occurred_at timestamptz not null,
  inbox_id bigint references inbox (id),
  created_at timestamptz not null default now()
);
create index lead_events_ref on lead_events (crm_system, tenant, crm_id, occurred_at);

-- The outbox: CRM writes queued in the routing transaction and performed by src/outbox.
create table crm_writes (
  id bigint generated always as identity primary key,
  lead_id bigint not null references leads (id),
  decision_id bigint not null references decisions (id),
  step text not null,                        -- 'route' | 'fallback:<checkpoint>:<n>' …
  kind text not null,                        -- routing (owner+task+note) | assign_owner | task | note
  key text not null unique,                  -- idempotency key `${lead_id}:${decision_id}:${step}`
  crm text not null,                         -- hubspot | salesforce | dryrun
  payload jsonb not null,                    -- RoutingWrite / TaskWrite … (src/adapters/crm-port.ts)
  status text not null default 'pending',    -- pending | in_flight | done | parked
  attempts int not null default 0,
  max_attempts int not null default 10,
  run_at timestamptz not null default now(),
  locked_at timestamptz,
  locked_by text,
  last_error text,
  result jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  done_at timestamptz
);
create index crm_writes_ready on crm_writes (run_at) where status in ('pending', 'in_flight');
create index crm_writes_lead on crm_writes (lead_id);
