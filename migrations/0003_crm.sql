-- CRM adapters (src/adapters, src/outbox).
-- dryrun_writes: every write the dry-run adapter would have made (CRM=dryrun, the default on a bare
-- machine). (key, op) is unique so a retried outbox row records its write once, like a real CRM.
create table dryrun_writes (
  id bigint generated always as identity primary key,
  key text not null,                          -- the crm_writes key
  op text not null,                           -- assign_owner | task | note
  lead_system text not null,                  -- hubspot | salesforce | json
  lead_ref text not null,                     -- contact / lead id in that system
  remote_id text not null,                    -- the id the dry run answered with
  payload jsonb not null,                     -- what would have been sent
  created_at timestamptz not null default now(),
  unique (key, op)
);
create index dryrun_writes_lead on dryrun_writes (lead_system, lead_ref);

-- The outbox claim reads ready rows by run_at; parked rows are listed by the admin API.
create index crm_writes_parked on crm_writes (updated_at) where status = 'parked';
