-- Sensor ingestion: the readings time series, the current state of every space, sensor health and gateways.

-- Every accepted reading, partitioned by day of observation; partitions are created ahead by the server and
-- dropped whole when older than the retention period.
create table sensor_readings (
    observed_at  timestamptz not null,
    received_at  timestamptz not null,
    space_id     uuid not null,
    sensor_id    uuid,
    tenant_id    uuid not null,
    status       smallint not null,   -- 0 free, 1 occupied, 2 unknown, 3 closed
    source       smallint not null    -- 0 mqtt, 1 http, 2 ngsi-ld, 3 ngsi-v2
) partition by range (observed_at);
create index sensor_readings_space on sensor_readings (space_id, observed_at desc);

-- The latest state of each space. version grows on every status change and drives the change feed that keeps
-- every node's in-memory availability current.
create sequence space_status_version;
create table space_status (
    space_id     uuid primary key references spaces(id) on delete cascade,
    tenant_id    uuid not null,
    lot_id       uuid not null,
    status       smallint not null,
    observed_at  timestamptz not null,
    changed_at   timestamptz not null,
    version      bigint not null default nextval('space_status_version')
);
create index space_status_version_idx on space_status (version);

alter table sensors
    add column last_seen_at     timestamptz,
    add column battery_percent  smallint,
    add column signal_dbm       smallint,
    add column firmware         text;

-- A gateway posts readings for any sensor of its tenant (HTTP batches, FIWARE agents).
create table gateways (
    id          uuid primary key,
    tenant_id   uuid not null references tenants(id),
    name        text not null,
    key_hash    bytea not null unique,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);

-- Catalogue changes (lots, spaces, sensors) tell every node which lot to reload.
create function notify_catalog_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('catalog_changed', coalesce(coalesce(new.lot_id, old.lot_id)::text, ''));
    return null;
end $$;

create function notify_lot_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('catalog_changed', coalesce(new.id, old.id)::text);
    return null;
end $$;

create trigger lots_changed after insert or update or delete on lots for each row execute function notify_lot_change();
create trigger spaces_changed after insert or update or delete on spaces for each row execute function notify_catalog_change();
-- A sensor moved between lots concerns both.
create function notify_sensor_change() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then perform pg_notify('catalog_changed', coalesce(old.lot_id::text, '')); end if;
    if tg_op <> 'DELETE' then perform pg_notify('catalog_changed', coalesce(new.lot_id::text, '')); end if;
    return null;
end $$;

create trigger sensors_changed after insert or update of space_id, lot_id, serial, secret_hash or delete on sensors for each row execute function notify_sensor_change();
