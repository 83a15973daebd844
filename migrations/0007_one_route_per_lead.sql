-- A lead is routed once: only the intake's first creation event makes a `route` decision (later
-- ones are recorded as duplicates; fallbacks and re-routes make `reroute` decisions). The index
-- makes that a fact of the database, not only of the code: two workers that route the same lead
-- at the same moment cannot both commit (src/intake/process-batch.ts relies on it instead of a
-- row lock held across statements).
create unique index if not exists decisions_one_route_per_lead on decisions (lead_id)
  where reason = 'route';
