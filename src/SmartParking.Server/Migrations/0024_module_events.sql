-- Per-sensor state behind the sensors' events, so each is recorded once per transition: offline_since is set by the
-- health sweep when the sensor turns overdue (SensorWentOffline) and cleared by its next message (SensorCameOnline);
-- battery_low_at is set when a heartbeat reports the battery at or under the limit (SensorBatteryLow) and cleared
-- when one reports it above again.
alter table sensors add column offline_since timestamptz, add column battery_low_at timestamptz;

-- Pricing's own record of stays, fed by reservation and session events: where and by whom, when it was booked, when
-- the stay began and (sessions) ended. "position" is the last event applied, so an older event delivered again never
-- rolls a later state back.
create table pricing_stays (
    id uuid primary key,
    tenant_id uuid not null,
    lot_id uuid not null,
    driver_id uuid not null,
    kind text not null check (kind in ('reservation', 'session')),
    status text not null,
    booked_at timestamptz not null,
    started_at timestamptz not null,
    ended_at timestamptz,
    position bigint not null
);
create index pricing_stays_tenant on pricing_stays (tenant_id, booked_at);

-- Money paid for a stay (reservation or session id), from payment events: a payment adds, a refund takes away. One
-- row per event (the key): an event delivered again is not counted twice.
create table pricing_revenue (
    event_id uuid primary key,
    reference_id uuid not null,
    amount numeric(14, 2) not null,
    at timestamptz not null
);
create index pricing_revenue_reference on pricing_revenue (reference_id);
