-- When the car now on a space arrived: set by the change to occupied, kept through a spell of unknown (a sensor
-- offline) or closed, cleared by the change to free, which moves it to ended_stay_started_at. Ingest puts it on each
-- SpaceStatusChange, so a departure alone tells the whole stay and subscribers (rollups) keep no per-space state.
alter table space_status add column occupied_since timestamptz, add column ended_stay_started_at timestamptz;
update space_status set occupied_since = changed_at where status = 1;
