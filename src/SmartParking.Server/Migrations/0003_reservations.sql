-- Reservations, meter sessions and idempotent requests.
create extension if not exists btree_gist;

-- A lot's booking rules; a lot without a row uses the defaults in ReservationPolicy.
create table reservation_policies (
    lot_id                      uuid primary key references lots(id) on delete cascade,
    tenant_id                   uuid not null references tenants(id),
    reservable                  boolean not null,
    min_lead_minutes            integer not null check (min_lead_minutes >= 0),
    max_lead_days               integer not null check (max_lead_days between 0 and 366),
    min_duration_minutes        integer not null check (min_duration_minutes >= 1),
    max_duration_minutes        integer not null check (max_duration_minutes >= min_duration_minutes),
    late_cancellation_percent   integer not null check (late_cancellation_percent between 0 and 100),
    no_show_grace_minutes       integer not null check (no_show_grace_minutes >= 0),
    no_show_fee                 numeric(12,2) not null check (no_show_fee >= 0),
    overstay_per_minute         numeric(12,4) not null check (overstay_per_minute >= 0),
    updated_at                  timestamptz not null default now()
);

-- The exclusion constraint makes double booking impossible whatever the application does: two live reservations
-- of one space never overlap. Ended ones (completed, cancelled, expired, no-show) drop out of it.
create table reservations (
    id                  uuid primary key,
    tenant_id           uuid not null references tenants(id),
    lot_id              uuid not null references lots(id),
    space_id            uuid not null references spaces(id),
    driver_id           uuid not null references users(id),
    space_type          text not null,
    plate               text,
    during              tstzrange not null check (not isempty(during) and lower_inc(during) and not upper_inc(during)),
    status              text not null check (status in ('held', 'confirmed', 'checked_in', 'completed', 'cancelled', 'expired', 'no_show')),
    price               numeric(12,2) not null check (price >= 0),
    currency            char(3) not null,
    hold_expires_at     timestamptz,
    checked_in_at       timestamptz,
    checked_out_at      timestamptz,
    cancelled_at        timestamptz,
    no_show_fee_charged boolean not null default false,
    -- Set with a cancellation that refunds, cleared once the refunds are made (a crash in between is retried).
    refund_pending_percent integer,
    overstay_minutes_charged integer not null default 0,
    -- Set before an overstay charge is made and cleared after, so a crash in between repeats the same charge (same key).
    overstay_minutes_billing integer,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    constraint reservations_no_double_booking exclude using gist (space_id with =, during with &&)
        where (status in ('held', 'confirmed', 'checked_in'))
);
create index reservations_driver on reservations (driver_id, created_at desc);
create index reservations_live on reservations (status, lower(during)) where status in ('held', 'confirmed', 'checked_in');
create index reservations_plate on reservations (upper(plate)) where status in ('confirmed', 'checked_in');

-- Pay-as-you-park: a session for a plate at a lot (or one zone of it), charged per minute when it ends.
create table session_limits (
    lot_id              uuid not null references lots(id) on delete cascade,
    zone_id             uuid references zones(id) on delete cascade,
    tenant_id           uuid not null references tenants(id),
    max_stay_minutes    integer not null check (max_stay_minutes between 1 and 10080),
    updated_at          timestamptz not null default now()
);
create unique index session_limits_scope on session_limits (lot_id, coalesce(zone_id, '00000000-0000-0000-0000-000000000000'));

create table meter_sessions (
    id                  uuid primary key,
    tenant_id           uuid not null references tenants(id),
    lot_id              uuid not null references lots(id),
    zone_id             uuid references zones(id),
    driver_id           uuid not null references users(id),
    plate               text not null,
    started_at          timestamptz not null,
    ends_at             timestamptz not null,
    stopped_at          timestamptz,
    status              text not null check (status in ('active', 'stopped', 'expired')),
    rate_per_hour       numeric(12,2) not null,
    currency            char(3) not null,
    max_stay_minutes    integer not null,
    amount              numeric(12,2),
    charged             boolean not null default false,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    check (ends_at > started_at)
);
-- One running session per plate and lot: a second start is a conflict, not a second charge.
create unique index meter_sessions_one_active on meter_sessions (lot_id, plate) where status = 'active';
create index meter_sessions_driver on meter_sessions (driver_id, started_at desc);
create index meter_sessions_plate on meter_sessions (plate, ends_at desc);
create index meter_sessions_due on meter_sessions (ends_at) where status = 'active';

-- Responses to POSTs that carried an Idempotency-Key, replayed to a retry of the same request.
create table idempotent_requests (
    user_id         uuid not null,
    key             text not null,
    request_hash    bytea not null,
    status_code     integer,
    content_type    text,
    location        text,
    body            bytea,
    created_at      timestamptz not null,
    primary key (user_id, key)
);
create index idempotent_requests_age on idempotent_requests (created_at);
