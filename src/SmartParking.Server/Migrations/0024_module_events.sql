-- Per-sensor state behind the sensors' events, so each is recorded once per transition: offline_since is set by the
-- health sweep when the sensor turns overdue (SensorWentOffline) and cleared by its next message (SensorCameOnline);
-- battery_low_at is set when a heartbeat reports the battery at or under the limit (SensorBatteryLow) and cleared
-- when one reports it above again.
alter table sensors add column offline_since timestamptz, add column battery_low_at timestamptz;
-- The ingest looks up which of the sensors it hears were offline: few at any time, so a small index.
create index sensors_offline on sensors (id) where offline_since is not null;

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
    amount numeric(14, 2) not null
);
create index pricing_revenue_reference on pricing_revenue (reference_id);

-- The ledger's subscriber starts at the log's end, so what happened before is taken from the tables once, here: stays
-- at position 0 (any event is later) and money keyed by the payment or refund id (their later events have other ids,
-- and only moves after this point record them).
insert into pricing_stays (id, tenant_id, lot_id, driver_id, kind, status, booked_at, started_at, ended_at, position)
select r.id, r.tenant_id, r.lot_id, r.driver_id, 'reservation', r.status, r.created_at, lower(r.during), null, 0
from reservations r where r.status in ('confirmed', 'checked_in', 'completed', 'no_show');
insert into pricing_stays (id, tenant_id, lot_id, driver_id, kind, status, booked_at, started_at, ended_at, position)
select m.id, m.tenant_id, m.lot_id, m.driver_id, 'session', m.status, m.started_at, m.started_at,
       coalesce(m.stopped_at, case when m.status = 'expired' then m.ends_at end), 0
from meter_sessions m;
insert into pricing_revenue (event_id, reference_id, amount)
select p.id, p.reference_id, p.amount from payments p where p.state = 'succeeded'
union all
select f.id, p.reference_id, -f.amount from refunds f join payments p on p.id = f.payment_id where f.state = 'succeeded';
