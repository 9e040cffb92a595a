-- The delivery log: one row per message for one address on one channel, from queued to sent, delivered, failed or
-- suppressed. The unique key suppresses duplicates: the same event asked twice for the same recipient sends once.
create table notification_messages (
    id uuid primary key,
    tenant_id uuid,
    driver_id uuid,
    source_event_id uuid not null,
    channel text not null,
    address text not null,
    kind text not null,
    language text not null,
    urgent boolean not null,
    marketing boolean not null,
    subject text not null,
    body_text text not null,
    body_html text,
    link text,
    signing_secret text,
    status text not null check (status in ('queued', 'sent', 'delivered', 'failed', 'suppressed')),
    reason text,
    attempts int not null default 0,
    next_attempt_at timestamptz not null,
    provider_message_id text,
    queued_at timestamptz not null,
    sent_at timestamptz,
    delivered_at timestamptz,
    failed_at timestamptz,
    updated_at timestamptz not null,
    unique (source_event_id, address, channel, kind)
);
create index notification_messages_due on notification_messages (next_attempt_at) where status = 'queued';
create index notification_messages_driver_sent on notification_messages (driver_id, sent_at) where sent_at is not null;
create index notification_messages_driver on notification_messages (driver_id, queued_at desc);
create index notification_messages_tenant on notification_messages (tenant_id, queued_at desc);
create index notification_messages_provider on notification_messages (channel, provider_message_id) where provider_message_id is not null;

-- A driver's choices: channels per kind (kind -> ["email", "sms", "push"]), language, quiet hours in their zone, phone.
create table notification_preferences (
    driver_id uuid primary key,
    language text not null default 'en',
    channels jsonb not null default '{}',
    quiet_start time,
    quiet_end time,
    time_zone text,
    phone text,
    marketing boolean not null default false,
    updated_at timestamptz not null
);

-- Every change of marketing consent, kept: when, how (web page or API) and under which policy text.
create table notification_consents (
    id bigserial primary key,
    driver_id uuid not null,
    marketing boolean not null,
    source text not null check (source in ('web', 'api')),
    policy_version text not null,
    recorded_at timestamptz not null
);
create index notification_consents_driver on notification_consents (driver_id, recorded_at desc);
