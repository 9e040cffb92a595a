-- Pricing units: a lot, or a zone of a lot with a policy of its own (a premium level, an on-street block). unit_id is
-- the zone's id for a zone and the lot's otherwise, so one key serves both and a zone's rows go with the zone.
alter table pricing_policies
    add column zone_id uuid references zones(id) on delete cascade,
    add column unit_id uuid generated always as (coalesce(zone_id, lot_id)) stored;
alter table pricing_policies drop constraint pricing_policies_pkey, add primary key (unit_id);
create index pricing_policies_lot on pricing_policies (lot_id);

alter table lot_prices
    add column zone_id uuid references zones(id) on delete cascade,
    add column unit_id uuid generated always as (coalesce(zone_id, lot_id)) stored,
    -- The rate now by space type, for the types the policy prices differently.
    add column type_rates jsonb;
alter table lot_prices drop constraint lot_prices_pkey, add primary key (unit_id);
create index lot_prices_lot on lot_prices (lot_id);

alter table price_history
    add column zone_id uuid references zones(id) on delete cascade,
    add column unit_id uuid generated always as (coalesce(zone_id, lot_id)) stored;
alter table price_history drop constraint price_history_pkey, add primary key (unit_id, at);

-- An experiment splits the tenant's lots, or its drivers (each driver quoted by their group's policy at every lot).
alter table pricing_experiments add column unit text not null default 'lots' check (unit in ('lots', 'drivers'));
