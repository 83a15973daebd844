-- Whether a recorded lead event shows engagement (a touch, an open, a reply, a meeting). Some
-- recorded changes do not: a Salesforce status moving back to "Open", a HubSpot lead status set
-- to "New". The SLA views (operator page, switchboard_sla metric) count only engaged events as
-- the first touch. Rows recorded before this column existed keep the old reading (true).
alter table lead_events add column if not exists engaged boolean not null default true;
