-- Typed domain events, written in the same transaction as the change they describe (the outbox).
-- "recorded" is the insert order; "position" is given by one sequencer at a time to committed events, in insert
-- order, so readers following position never skip an event whose transaction committed late.
create table domain_events (
    id uuid primary key,
    recorded bigserial not null,
    position bigint unique,
    type text not null,
    aggregate_id text not null,
    tenant_id uuid,
    occurred_at timestamptz not null,
    payload jsonb not null
);
create index domain_events_unsequenced on domain_events (recorded) where position is null;
create index domain_events_occurred on domain_events (occurred_at);

-- How far each durable subscriber has read the log.
create table event_checkpoints (
    subscriber text primary key,
    position bigint not null,
    updated_at timestamptz not null
);

-- Events a durable subscriber failed on (and later events of the same aggregate, held back to keep order):
-- retried with backoff, then dead (kept for an operator to see and replay).
create table event_retries (
    subscriber text not null,
    event_id uuid not null references domain_events (id) on delete cascade,
    position bigint not null,
    aggregate_id text not null,
    attempts int not null default 0,
    next_attempt_at timestamptz not null,
    last_error text,
    dead_at timestamptz,
    primary key (subscriber, event_id)
);
create index event_retries_due on event_retries (subscriber, aggregate_id, position);
