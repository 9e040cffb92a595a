-- When the car now on a space arrived: set by the change to occupied, kept through a spell of unknown (a sensor
-- offline) or closed, cleared by the change to free, which moves it to ended_stay_started_at. Ingest puts it on each
-- SpaceStatusChange, so a departure alone tells the whole stay and subscribers (rollups) keep no per-space state.
alter table space_status add column occupied_since timestamptz, add column ended_stay_started_at timestamptz;
-- Stays open now: the rollups' open arrival facts know when they began (also through an offline spell), and
-- 0035 drops those facts; an occupied space without one began at its last change.
update space_status s set occupied_since = a.arrived_at
from (select space_id, max(arrived_at) as arrived_at from analytics_arrivals where left_at is null group by space_id) a
where a.space_id = s.space_id and s.status <> 0;
update space_status set occupied_since = changed_at where status = 1 and occupied_since is null;
