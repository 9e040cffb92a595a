-- Foundation schema: tenants, identity, lots/zones/spaces, sensors, audit log.
create extension if not exists btree_gist;

create table platform_secrets (
    name        text primary key,
    value       text not null,
    created_at  timestamptz not null default now()
);

create table tenants (
    id          uuid primary key,
    name        text not null,
    slug        text not null unique,
    time_zone   text not null,
    currency    char(3) not null,
    created_at  timestamptz not null default now()
);

create table users (
    id                      uuid primary key,
    email                   text not null,
    normalized_email        text not null unique,
    display_name            text,
    password_hash           text,
    security_stamp          text not null,
    concurrency_stamp       text not null,
    role                    text not null check (role in ('driver', 'operator', 'admin')),
    tenant_id               uuid references tenants(id),
    lockout_enabled         boolean not null default true,
    lockout_end             timestamptz,
    access_failed_count     int not null default 0,
    two_factor_enabled      boolean not null default false,
    authenticator_key       text,
    recovery_codes          text,
    created_at              timestamptz not null default now(),
    check (role <> 'operator' or tenant_id is not null)
);

create table refresh_tokens (
    id           uuid primary key,
    user_id      uuid not null references users(id) on delete cascade,
    family_id    uuid not null,
    token_hash   bytea not null unique,
    mfa          boolean not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    replaced_at  timestamptz,
    revoked_at   timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);

create table lots (
    id                uuid primary key,
    tenant_id         uuid not null references tenants(id),
    name              text not null,
    kind              text not null check (kind in ('off_street', 'on_street')),
    street_address    text,
    city              text,
    postal_code       text,
    country           text,
    latitude          double precision not null check (latitude between -90 and 90),
    longitude         double precision not null check (longitude between -180 and 180),
    time_zone         text not null,
    opening_hours     jsonb not null default '[]',
    amenities         text[] not null default '{}',
    capacity          jsonb not null default '{}',
    base_hourly_rate  numeric(12,2) not null check (base_hourly_rate >= 0),
    currency          char(3) not null,
    external_id       text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    unique (tenant_id, external_id)
);
create index lots_tenant on lots (tenant_id, name);
create index lots_location on lots (latitude, longitude);

create table zones (
    id          uuid primary key,
    tenant_id   uuid not null references tenants(id),
    lot_id      uuid not null references lots(id) on delete cascade,
    code        text not null,
    name        text not null,
    created_at  timestamptz not null default now(),
    unique (lot_id, code)
);

create table spaces (
    id              uuid primary key,
    tenant_id       uuid not null references tenants(id),
    lot_id          uuid not null references lots(id) on delete cascade,
    zone_id         uuid references zones(id) on delete set null,
    label           text not null,
    type            text not null check (type in ('standard', 'accessible', 'ev', 'compact', 'motorcycle', 'loading')),
    level           text,
    out_of_service  boolean not null default false,
    latitude        double precision,
    longitude       double precision,
    external_id     text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    unique (lot_id, label)
);
create index spaces_tenant on spaces (tenant_id, lot_id);
create unique index spaces_external on spaces (tenant_id, external_id) where external_id is not null;

create table sensors (
    id            uuid primary key,
    tenant_id     uuid not null references tenants(id),
    serial        text not null unique,
    kind          text not null check (kind in ('magnetometer', 'camera', 'ultrasonic', 'gate_counter')),
    space_id      uuid unique references spaces(id) on delete set null,
    lot_id        uuid references lots(id) on delete set null,
    secret_hash   bytea not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index sensors_tenant on sensors (tenant_id, lot_id);

create table audit_log (
    id           bigint generated always as identity primary key,
    tenant_id    uuid references tenants(id),
    actor_id     uuid,
    actor_email  text,
    action       text not null,
    entity_type  text not null,
    entity_id    text not null,
    changes      jsonb,
    at           timestamptz not null default now()
);
create index audit_log_tenant on audit_log (tenant_id, at desc);
