-- Privacy rules meet field encryption. An erased account keeps its row (bookkeeping refers to it); erased_at says so,
-- now that its address is sealed like any other and can no longer be told apart by its domain.
alter table users add column erased_at timestamptz;
update users set erased_at = now() where normalized_email like '%@ERASED.INVALID' or email like '%@erased.invalid';

-- Plate retention finds sealed plates due by age (0042's indexes cover only plates still in clear).
create index reservations_plate_sealed_due on reservations (upper(during)) where plate_encrypted is not null;
create index meter_sessions_plate_sealed_due on meter_sessions (coalesce(stopped_at, ends_at)) where plate_encrypted is not null;
