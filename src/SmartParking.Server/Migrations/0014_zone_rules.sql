-- Parking rules as cities post them ("2P Mon-Fri 07:30-18:30"): per zone, or per lot (zone_id null) for all its spaces.
-- Windows are local times in the lot's time zone, in minutes since midnight; to_minute < from_minute runs overnight.
create table zone_rules (
    id                  uuid primary key,
    tenant_id           uuid not null references tenants(id),
    lot_id              uuid not null references lots(id) on delete cascade,
    zone_id             uuid references zones(id) on delete cascade,
    position            integer not null,
    kind                text not null check (kind in ('max_stay', 'loading', 'no_parking')),
    days                text[] not null check (cardinality(days) between 1 and 7 and days <@ array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    from_minute         integer not null check (from_minute between 0 and 1439),
    to_minute           integer not null check (to_minute between 0 and 1440 and to_minute <> from_minute),
    max_stay_minutes    integer check (max_stay_minutes between 1 and 10080),
    check (case kind when 'max_stay' then max_stay_minutes is not null when 'no_parking' then max_stay_minutes is null else true end)
);
create unique index zone_rules_order on zone_rules (lot_id, coalesce(zone_id, '00000000-0000-0000-0000-000000000000'), position);

-- The meter's maximum stays were one always-on limit per lot or zone: each becomes a whole-week max_stay rule.
insert into zone_rules (id, tenant_id, lot_id, zone_id, position, kind, days, from_minute, to_minute, max_stay_minutes)
select gen_random_uuid(), tenant_id, lot_id, zone_id, 0, 'max_stay', array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], 0, 1440, max_stay_minutes
from session_limits;
drop table session_limits;
