-- Sensors that report only on change: how often a sensor is expected to be heard from, its own or its lot's
-- (otherwise its kind's or the global default from configuration).
alter table sensors add column heartbeat_seconds integer check (heartbeat_seconds between 1 and 604800);

create table sensor_lot_policies (
    lot_id             uuid primary key references lots(id) on delete cascade,
    tenant_id          uuid not null references tenants(id),
    heartbeat_seconds  integer not null check (heartbeat_seconds between 1 and 604800),
    updated_at         timestamptz not null default now()
);

-- A sensor's interval is part of what every node's availability knows of its lot.
drop trigger sensors_changed on sensors;
create trigger sensors_changed after insert or update of space_id, lot_id, serial, secret_hash, heartbeat_seconds or delete on sensors
    for each row execute function notify_sensor_change();
