-- Hourly occupancy per lot, the series analytics keeps for 7 years and forecasting trains on: rolled up from live
-- availability ('live') or imported by an operator moving from another system ('import'). One row per lot and hour:
-- live data wins over an import for the same hour. No foreign key to lots: history outlives a deleted lot, and the
-- table holds no personal data, so the read-only BI role may read it.
create table lot_occupancy_hourly (
    tenant_id  uuid not null,
    lot_id     uuid not null,
    hour       timestamptz not null check (extract(epoch from hour) % 3600 = 0),
    occupancy  double precision not null check (occupancy between 0 and 1),
    peak       double precision not null check (peak between 0 and 1),
    capacity   integer not null check (capacity >= 0),
    samples    integer not null check (samples > 0),
    source     text not null check (source in ('live', 'import')),
    primary key (lot_id, hour)
);
create index lot_occupancy_hourly_tenant_hour on lot_occupancy_hourly (tenant_id, hour);
