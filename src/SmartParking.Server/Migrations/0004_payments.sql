-- Payments: wallet (provider tokens only, never card data), ledger of charges and refunds, webhook events applied once.

create table payment_methods (
    id           uuid primary key,
    driver_id    uuid not null references users(id) on delete cascade,
    provider     text not null check (provider in ('stripe', 'paypal', 'sandbox')),
    token        text not null,
    customer     text,
    label        text,
    created_at   timestamptz not null default now(),
    unique (driver_id, provider, token)
);

-- States only move up this order, so webhooks and API answers may arrive in any order: money taken beats a failure.
create function payment_state_rank(state text) returns int language sql immutable as $$
    select case state when 'pending' then 0 when 'failed' then 1 when 'succeeded' then 2 end
$$;

create table payments (
    id                  uuid primary key,
    tenant_id           uuid not null references tenants(id),
    driver_id           uuid not null references users(id),
    purpose             text not null,
    reference_id        uuid not null,
    amount              numeric(12,2) not null check (amount > 0),
    currency            char(3) not null,
    description         text,
    state               text not null check (state in ('pending', 'succeeded', 'failed')),
    provider            text,
    provider_reference  text,
    payment_method_id   uuid,
    idempotency_key     text not null,
    failure_code        text,
    failure_message     text,
    attempt_started_at  timestamptz,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (driver_id, idempotency_key)
);
create index payments_reference on payments (reference_id);
create index payments_tenant on payments (tenant_id, created_at desc);
create unique index payments_provider_reference on payments (provider, provider_reference) where provider_reference is not null;

create table refunds (
    id                  uuid primary key,
    payment_id          uuid not null references payments(id),
    amount              numeric(12,2) not null check (amount > 0),
    currency            char(3) not null,
    reason              text,
    state               text not null check (state in ('pending', 'succeeded', 'failed')),
    provider_reference  text,
    idempotency_key     text not null,
    failure_message     text,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (payment_id, idempotency_key)
);
create unique index refunds_provider_reference on refunds (payment_id, provider_reference) where provider_reference is not null;

create table webhook_events (
    provider     text not null,
    event_id     text not null,
    type         text not null,
    payment_id   uuid,
    received_at  timestamptz not null default now(),
    primary key (provider, event_id)
);
