-- A/B tests of pricing policies: a variant policy on a random but reproducible share of a tenant's lots, for a period.
create table pricing_experiments (
    id              uuid primary key,
    tenant_id       uuid not null references tenants(id),
    name            text not null,
    variant         jsonb not null,
    share           numeric(4,3) not null check (share > 0 and share < 1),
    seed            text not null,
    starts_at       timestamptz not null,
    ends_at         timestamptz not null check (ends_at > starts_at),
    created_at      timestamptz not null default now()
);
create index pricing_experiments_window on pricing_experiments (tenant_id, ends_at);
