-- Occupancy history imports: who imported which file into which tenant and what the import reported, so the dashboard
-- can list past imports. The hourly rows themselves go into lot_occupancy_hourly (source 'import').
create table occupancy_imports (
    id            uuid primary key,
    tenant_id     uuid not null,
    imported_by   uuid not null,
    imported_by_email text not null,
    imported_at   timestamptz not null,
    file_name     text not null,
    rows_read     integer not null,
    rows_kept     integer not null,
    hours_written integer not null,
    report        jsonb not null
);
create index occupancy_imports_tenant_time on occupancy_imports (tenant_id, imported_at desc);
