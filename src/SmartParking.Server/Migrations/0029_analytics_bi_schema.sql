-- Read-only access for BI tools (Metabase, Grafana, Superset): schema analytics holds views over the rollups and the
-- lot catalogue, and nothing with personal data (no users, plates, emails, reservations or payment rows). A view runs
-- with its owner's rights, so the group role smartparking_bi needs no grant on any table. Reference: docs/analytics.md.
create schema if not exists analytics;

create view analytics.lots as
select l.id as lot_id, l.tenant_id, t.name as tenant_name, l.name as lot_name, l.kind, l.city, l.country, l.time_zone,
       l.latitude, l.longitude, l.currency, l.base_hourly_rate, l.created_at
from lots l join tenants t on t.id = l.tenant_id;

create view analytics.zones as
select z.id as zone_id, z.lot_id, z.tenant_id, z.code as zone_code, z.name as zone_name
from zones z;

create view analytics.occupancy_hourly as
select o.tenant_id, o.lot_id, o.hour, o.occupancy, o.peak, o.capacity, o.samples, o.source
from lot_occupancy_hourly o;

create view analytics.rollups_hourly as
select r.tenant_id, r.lot_id, r.bucket as hour, r.scope, r.scope_key,
       case when r.scope = 'zone' then z.name end as zone_name,
       case when r.occupancy_samples > 0 then r.occupancy_sum / r.occupancy_samples end as occupancy,
       r.peak, r.occupancy_samples as samples,
       case when r.uptime_samples > 0 then r.uptime_sum / r.uptime_samples end as sensor_uptime,
       r.arrivals, r.dwell_under_15m, r.dwell_15_30m, r.dwell_30_60m, r.dwell_1_2h, r.dwell_2_4h, r.dwell_4_8h, r.dwell_over_8h,
       r.reservations, r.cancellations, r.no_shows, r.sessions
from analytics_rollups r
left join zones z on r.scope = 'zone' and z.id::text = r.scope_key
where r.granularity = 'hour';

create view analytics.rollups_daily as
select r.tenant_id, r.lot_id, (r.bucket at time zone l.time_zone)::date as day, r.bucket as day_start, r.scope, r.scope_key,
       case when r.scope = 'zone' then z.name end as zone_name,
       case when r.occupancy_samples > 0 then r.occupancy_sum / r.occupancy_samples end as occupancy,
       r.peak, r.occupancy_samples as samples,
       case when r.uptime_samples > 0 then r.uptime_sum / r.uptime_samples end as sensor_uptime,
       r.arrivals, r.dwell_under_15m, r.dwell_15_30m, r.dwell_30_60m, r.dwell_1_2h, r.dwell_2_4h, r.dwell_4_8h, r.dwell_over_8h,
       r.reservations, r.cancellations, r.no_shows, r.sessions
from analytics_rollups r
left join lots l on l.id = r.lot_id
left join zones z on r.scope = 'zone' and z.id::text = r.scope_key
where r.granularity = 'day';

create view analytics.revenue_hourly as
select r.tenant_id, r.lot_id, r.bucket as hour, r.scope, r.scope_key, r.currency, r.charged, r.refunded, r.charged - r.refunded as net
from analytics_revenue r
where r.granularity = 'hour';

create view analytics.revenue_daily as
select r.tenant_id, r.lot_id, (r.bucket at time zone l.time_zone)::date as day, r.bucket as day_start, r.scope, r.scope_key, r.currency,
       r.charged, r.refunded, r.charged - r.refunded as net
from analytics_revenue r
left join lots l on l.id = r.lot_id
where r.granularity = 'day';

-- Roles belong to the cluster, not the database: another database on the same server may have created it already,
-- possibly at the same moment.
do $$
begin
    if not exists (select from pg_roles where rolname = 'smartparking_bi') then
        create role smartparking_bi nologin;
    end if;
exception when duplicate_object or unique_violation then null;
end $$;

grant usage on schema analytics to smartparking_bi;
grant select on all tables in schema analytics to smartparking_bi;
