-- Operator alerts: a condition the rules job found (sensors offline, revenue drop, a lot full for long, low batteries,
-- a payment circuit open, an ingest backlog), with its lifecycle open → acknowledged → resolved and who did what when.
-- tenant_id is null for platform-wide conditions, which belong to administrators.
create table alerts (
    id                    uuid primary key,
    tenant_id             uuid references tenants(id) on delete cascade,
    lot_id                uuid references lots(id) on delete cascade,
    kind                  text not null check (kind in ('sensors_offline', 'revenue_drop', 'lot_full', 'low_battery', 'payment_circuit_open', 'ingest_backlog')),
    -- What the condition is about within its kind (a lot id, a provider name): one open alert per (tenant, kind, subject).
    subject               text not null,
    severity              text not null check (severity in ('warning', 'critical')),
    title                 text not null,
    detail                text not null,
    status                text not null check (status in ('open', 'acknowledged', 'resolved')),
    opened_at             timestamptz not null,
    -- Null while the condition holds; when it stopped holding otherwise (auto-resolve after the hold-down).
    cleared_at            timestamptz,
    acknowledged_at       timestamptz,
    acknowledged_by       text,
    acknowledged_by_name  text,
    resolved_at           timestamptz,
    -- A user id, or 'system' when the condition cleared by itself.
    resolved_by           text,
    resolved_by_name      text,
    resolution_note       text,
    escalation_level      integer not null default 0,
    next_escalation_at    timestamptz,
    check ((status = 'resolved') = (resolved_at is not null)),
    check (status = 'open' or acknowledged_at is not null or resolved_at is not null)
);
create unique index alerts_one_unresolved on alerts (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), kind, subject) where status <> 'resolved';
create index alerts_tenant_opened on alerts (tenant_id, opened_at desc);
create index alerts_escalation_due on alerts (next_escalation_at) where next_escalation_at is not null;

-- Each contact an alert was sent to, in order (level 0 is the first contact); queued_at is set once the notification
-- queue took it, so a step whose queueing failed is tried again next round under the same source id.
create table alert_escalations (
    alert_id   uuid not null references alerts(id) on delete cascade,
    level      integer not null,
    channel    text not null,
    address    text not null,
    at         timestamptz not null,
    queued_at  timestamptz,
    primary key (alert_id, level)
);
create index alert_escalations_unqueued on alert_escalations (at) where queued_at is null;

-- A tenant's thresholds and escalation chain (tenant_id null: the platform's, for administrators' alerts).
create table alert_settings (
    tenant_id   uuid unique nulls not distinct references tenants(id) on delete cascade,
    settings    jsonb not null,
    updated_at  timestamptz not null
);

-- Conditions seen and since when (a lot is full only once it has been for the tenant's set time); the rules job keeps it.
create table alert_conditions (
    tenant_key  uuid not null,
    kind        text not null,
    subject     text not null,
    since       timestamptz not null,
    primary key (tenant_key, kind, subject)
);

-- Per-node trouble the platform rules need (a payment provider's circuit open, the ingest queue at its bound): each
-- node replaces its own rows every few seconds; the rules job reads the rows reported recently, so a node that died
-- stops counting.
create table alert_node_signals (
    node        text not null,
    signal      text not null,
    subject     text not null,
    detail      text not null,
    reported_at timestamptz not null,
    primary key (node, signal, subject)
);
