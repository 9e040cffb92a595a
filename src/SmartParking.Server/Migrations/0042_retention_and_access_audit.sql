-- Retention (Modules/Privacy/Retention): a tenant's own period for a data class, within the class's bounds in code
-- (RetentionClasses); a class without a row here is kept for its default.
create table retention_policies (
    tenant_id   uuid not null references tenants(id) on delete cascade,
    data_class  text not null,
    -- "90d", "7y", "48h": hours, days or calendar years.
    period      text not null check (period ~ '^[0-9]{1,5}[hdy]$'),
    updated_at  timestamptz not null,
    primary key (tenant_id, data_class)
);

-- What each retention run removed: a row per run and data class, with the error if a rule failed.
create table retention_runs (
    id             bigint generated always as identity primary key,
    run_id         uuid not null,
    data_class     text not null,
    started_at     timestamptz not null,
    finished_at    timestamptz not null,
    removed        bigint not null,
    pseudonymised  bigint not null,
    error          text
);
create index retention_runs_started on retention_runs (started_at desc);

-- Refused sign-ins, for administrators and the metric's detail: the account when the e-mail address has one, the client
-- (an IPv4 address or an IPv6 /64) and why. Never the password, nor an address typed without an account.
create table sign_in_failures (
    id       bigint generated always as identity primary key,
    at       timestamptz not null,
    user_id  uuid references users(id) on delete set null,
    address  text not null,
    reason   text not null
);
create index sign_in_failures_at on sign_in_failures (at);

-- The retention job's batches find due rows by age through these (only rows still to handle, for the plates).
create index audit_log_at on audit_log (at);
create index reservations_plate_due on reservations (upper(during)) where plate is not null and plate not like 'ANON-%';
create index meter_sessions_plate_due on meter_sessions (coalesce(stopped_at, ends_at)) where plate not like 'ANON-%';
create index notification_messages_queued on notification_messages (queued_at);
create index chat_handoffs_closed on chat_handoffs (closed_at) where status = 'closed';
