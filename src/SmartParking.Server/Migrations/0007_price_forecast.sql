-- The occupancy the scheduler expected next (same time on the past week's days) beside the one it saw.
alter table price_history add column forecast double precision;
create index price_history_at on price_history (at);
