-- Dynamic pricing: operator policies per lot, declared events, the current demand rate and the history that explains it.
create table pricing_policies (
    lot_id              uuid primary key references lots(id) on delete cascade,
    tenant_id           uuid not null references tenants(id),
    policy              jsonb not null,
    updated_at          timestamptz not null default now()
);

create table pricing_events (
    id                  uuid primary key,
    tenant_id           uuid not null references tenants(id),
    name                text not null,
    starts_at           timestamptz not null,
    ends_at             timestamptz not null check (ends_at > starts_at),
    multiplier          numeric(4,2) not null check (multiplier >= 1),
    latitude            double precision not null,
    longitude           double precision not null,
    radius_meters       double precision not null check (radius_meters > 0),
    created_at          timestamptz not null default now()
);
create index pricing_events_window on pricing_events (tenant_id, ends_at);

-- The demand-adjusted hourly rate of each lot (before time of day and events), moved by the scheduler.
create table lot_prices (
    lot_id              uuid primary key references lots(id) on delete cascade,
    demand_rate         numeric(12,2) not null,
    rate_now            numeric(12,2) not null,
    updated_at          timestamptz not null
);

-- Every recompute, with what produced it, so any price can be explained.
create table price_history (
    lot_id              uuid not null references lots(id) on delete cascade,
    at                  timestamptz not null,
    occupancy           double precision,
    previous_rate       numeric(12,2) not null,
    demand_rate         numeric(12,2) not null,
    rate_now            numeric(12,2) not null,
    rule                text not null,
    time_multiplier     numeric(6,3) not null,
    event_multiplier    numeric(6,3) not null,
    primary key (lot_id, at)
);

-- When the scheduler last recomputed, whichever node did it.
create table pricing_runs (
    ran_at              timestamptz primary key,
    lots                integer not null
);
