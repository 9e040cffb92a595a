-- The VAPID key pair Web Push messages are signed with, when the deployment configures none: made once by whichever
-- node comes first, so every node signs with the same key and browsers' subscriptions stay valid.
create table web_push_vapid_keys (
    id int primary key check (id = 1),
    public_key text not null,
    private_key text not null,
    created_at timestamptz not null default now()
);

-- A driver's browsers (one row per device). An endpoint belongs to one browser profile, so a second driver
-- subscribing from the same browser takes it over.
create table push_subscriptions (
    id uuid primary key,
    driver_id uuid not null references users (id) on delete cascade,
    endpoint text not null unique,
    p256dh text not null,
    auth text not null,
    created_at timestamptz not null default now()
);
create index push_subscriptions_driver on push_subscriptions (driver_id);

-- Which devices already took a message, so a retry after a partial failure reaches only the devices that missed it.
create table push_deliveries (
    message_id uuid not null,
    subscription_id uuid not null references push_subscriptions (id) on delete cascade,
    sent_at timestamptz not null,
    primary key (message_id, subscription_id)
);
create index push_deliveries_sent on push_deliveries (sent_at);

-- An operator's own systems that receive the tenant's events, signed with the endpoint's secret.
-- event_types empty = every event type a tenant may subscribe to. Disabled when the receiver answered 410 Gone.
create table webhook_endpoints (
    id uuid primary key,
    tenant_id uuid not null references tenants (id) on delete cascade,
    url text not null,
    event_types text[] not null,
    description text,
    signing_secret text not null,
    created_at timestamptz not null,
    secret_rotated_at timestamptz,
    disabled_at timestamptz
);
create index webhook_endpoints_tenant on webhook_endpoints (tenant_id);
