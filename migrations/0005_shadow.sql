-- Shadow mode (issue 8): for every live decision, the decision a second config (SHADOW_CONFIG)
-- would have made with the same lead, clock and pool snapshot. Recorded only: never written to
-- the CRM, never counted in pool_counts, never given timers. `switchboard replay --shadow`
-- compares the two over a period. A shadow config that fails on a lead stores the error instead,
-- so a broken shadow is visible and never blocks live routing.
create table if not exists shadow_decisions (
  id bigint generated always as identity primary key,
  decision_id bigint not null references decisions (id),
  lead_id bigint not null references leads (id),
  config_hash text not null,
  lead_type text,
  handler_id text,
  decision jsonb,
  error text,
  created_at timestamptz not null default now(),
  constraint shadow_decisions_decision unique (decision_id)
);
create index if not exists shadow_decisions_lead on shadow_decisions (lead_id);
