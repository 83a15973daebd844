-- The inbox's lead index covers only rows that have a lead. A HubSpot or Salesforce event is
-- stored before its lead exists (lead_id null) and every update of a row (claim, completion)
-- inserts a new entry into each of its indexes: indexing the nulls cost one index insert per
-- webhook on the ack path and one per claim, for no query (every lookup is `lead_id = …` or
-- `lead_id in (…)`, which Postgres matches to the partial index).
drop index if exists inbox_lead;
create index inbox_lead on inbox (lead_id) where lead_id is not null;
