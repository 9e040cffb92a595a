-- Turnover and dwell no longer keep a fact row per status change (two writes per car cost ingest 40 % of its rate).
-- The ledger writes one row per ingest event with the batch's arrivals and departures, already reduced to (lot, zone,
-- type, hour, day, kind) counts; the rollup job adds pending rows to the rollups and clears their arrays in one
-- statement, so each is counted once. The emptied row stays a day, so a redelivered event finds it and is not counted
-- again.
drop table analytics_arrivals;
drop table analytics_dirty_hours;
drop sequence analytics_dirty_marks;

create table analytics_status_batches (
    event_id    uuid primary key,
    tenant_id   uuid not null,
    recorded_at timestamptz not null default now(),
    -- Parallel arrays, one element per count. kind 0 is arrivals in the hour; 1..7 are departures by dwell
    -- (< 15 min, 15-30 min, 30-60 min, 1-2 h, 2-4 h, 4-8 h, > 8 h), counted in the hour the stay began.
    lot_ids     uuid[],
    zone_ids    uuid[],
    space_types text[],
    hours       timestamptz[],
    days        timestamptz[],
    kinds       smallint[],
    counts      integer[]
);
create index analytics_status_batches_pending on analytics_status_batches (event_id) where lot_ids is not null;
create index analytics_status_batches_recorded on analytics_status_batches (recorded_at);
-- Compressing a few kilobytes of ids costs more than storing them for the seconds until the job counts them.
alter table analytics_status_batches alter column lot_ids set storage external, alter column zone_ids set storage external,
    alter column hours set storage external, alter column days set storage external;
