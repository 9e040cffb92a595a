-- Settlements are announced durably. The statement that moves a payment's state bumps settlement_version and sets
-- announce_after; announced_version catches up once every module waiting for payments has handled that state. A crash
-- (or a failing handler) in between leaves settlement_version > announced_version, and the payments job announces it
-- again once announce_after has passed. Existing rows count as announced.
alter table payments
    add column settlement_version int not null default 0,
    add column announced_version int not null default 0,
    add column announce_after timestamptz;
create index payments_unannounced on payments (announce_after) where settlement_version > announced_version;

-- Charges in flight (claimed, no provider answer recorded): the job drives those whose lease ran out, as a process that
-- died mid-call leaves them.
create index payments_in_flight on payments (attempt_started_at) where state = 'pending' and provider is null;

-- Each booking counts the driver's live holds (Reservations:MaxUnpaidHolds); only held rows are indexed, so it stays cheap.
create index reservations_driver_held on reservations (driver_id) where status = 'held';
