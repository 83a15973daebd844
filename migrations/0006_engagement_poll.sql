-- The engagement poll (issue 7, src/fallback/engagement-poll.ts): when each lead's engagement was
-- last read to cancel checkpoints early. An instance claims leads with pending timers that nobody
-- checked within ENGAGEMENT_POLL_MS by setting this column in the claim statement itself
-- (FOR UPDATE SKIP LOCKED), so several instances on one database read each lead once per interval.
alter table leads add column if not exists engagement_checked_at timestamptz;

-- The poll's "leads with pending timers": the due index (0004) leaves out claimed timers and is
-- ordered by run_at, so a lead-keyed partial index keeps that scan to pending rows.
create index if not exists timers_pending_lead_idx on timers (lead_id) where status = 'pending';
