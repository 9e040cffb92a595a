-- A tenant's city guide for the driver app: the countries its addresses are looked up in and the named places drivers
-- search for (a cathedral, a station), so place search is per city rather than fixed to one.
create table city_guides (
    tenant_id       uuid primary key references tenants(id) on delete cascade,
    country_codes   text[] not null default '{}',
    places          jsonb not null default '[]',
    updated_at      timestamptz not null default now()
);
