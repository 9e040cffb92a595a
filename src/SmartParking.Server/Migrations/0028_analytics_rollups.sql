-- Analytics rollups, kept current from domain events and a once-a-minute sample of live availability, so charts and BI
-- never replay raw readings. The facts tables hold what the events said, keyed by natural ids so a redelivered event
-- changes nothing; a handler then recomputes only the hours (and lot-local days) its facts touch.

-- One stay of a car on a space, from SpaceStatusChanged: opened by a change to occupied, closed by the next change to free.
-- An open row is the space's "occupied since", so a restart loses nothing.
create table analytics_arrivals (
    space_id   uuid not null,
    arrived_at timestamptz not null,
    tenant_id  uuid not null,
    lot_id     uuid not null,
    zone_id    uuid,
    space_type text not null,
    left_at    timestamptz check (left_at >= arrived_at),
    primary key (space_id, arrived_at)
);
create index analytics_arrivals_open on analytics_arrivals (space_id) where left_at is null;
create index analytics_arrivals_lot on analytics_arrivals (lot_id, arrived_at);

-- Reservations and meter sessions, counted in the hour they start; flags only ever turn on, so event order does not matter.
create table analytics_stays (
    id          uuid primary key,
    kind        text not null check (kind in ('reservation', 'session')),
    tenant_id   uuid not null,
    lot_id      uuid not null,
    zone_id     uuid,
    space_type  text,
    starts_at   timestamptz not null,
    confirmed   boolean not null default false,
    cancelled   boolean not null default false,
    no_show     boolean not null default false
);
create index analytics_stays_lot on analytics_stays (lot_id, starts_at);

-- Money by payment id or refund id (refunds negative), counted in the hour it moved; the lot comes from the stay it paid for.
create table analytics_money (
    id           uuid primary key,
    reference_id uuid not null,
    at           timestamptz not null,
    currency     text not null,
    amount       numeric(12, 2) not null
);
create index analytics_money_reference on analytics_money (reference_id);
create index analytics_money_at on analytics_money (at);

-- Rollups per lot, per zone (scope_key = zone id) and per space type (scope_key = type); scope_key is '' for the lot.
-- Hourly buckets start at a UTC hour; daily ones at the lot's local midnight and sum its local day's hours.
-- Occupancy and uptime are sums of per-minute samples: mean = sum / samples. last_sample keeps a minute from being
-- counted twice when another node takes the sampling job over.
create table analytics_rollups (
    tenant_id          uuid not null,
    lot_id             uuid not null,
    granularity        text not null check (granularity in ('hour', 'day')),
    bucket             timestamptz not null,
    scope              text not null check (scope in ('lot', 'zone', 'type')),
    scope_key          text not null,
    occupancy_sum      double precision not null default 0,
    occupancy_samples  integer not null default 0,
    peak               double precision,
    uptime_sum         double precision not null default 0,
    uptime_samples     integer not null default 0,
    last_sample        timestamptz,
    arrivals           integer not null default 0,
    dwell_under_15m    integer not null default 0,
    dwell_15_30m       integer not null default 0,
    dwell_30_60m       integer not null default 0,
    dwell_1_2h         integer not null default 0,
    dwell_2_4h         integer not null default 0,
    dwell_4_8h         integer not null default 0,
    dwell_over_8h      integer not null default 0,
    reservations       integer not null default 0,
    cancellations      integer not null default 0,
    no_shows           integer not null default 0,
    sessions           integer not null default 0,
    primary key (lot_id, granularity, scope, scope_key, bucket)
);
create index analytics_rollups_tenant on analytics_rollups (tenant_id, granularity, bucket);

-- Revenue per bucket and currency: charged (succeeded payments) and refunded; net = charged - refunded.
create table analytics_revenue (
    tenant_id   uuid not null,
    lot_id      uuid not null,
    granularity text not null check (granularity in ('hour', 'day')),
    bucket      timestamptz not null,
    scope       text not null check (scope in ('lot', 'zone', 'type')),
    scope_key   text not null,
    currency    text not null,
    charged     numeric(14, 2) not null default 0,
    refunded    numeric(14, 2) not null default 0,
    primary key (lot_id, granularity, scope, scope_key, bucket, currency)
);
create index analytics_revenue_tenant on analytics_revenue (tenant_id, granularity, bucket);
