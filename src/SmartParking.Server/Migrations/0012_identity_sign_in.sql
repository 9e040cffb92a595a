-- The last TOTP time step (unix time / 30 s) accepted for an account: RFC 6238 §5.2, a code is taken once, and no code
-- of that step or an earlier one after it. Null until a code has been accepted.
alter table users add column totp_last_step bigint;

-- Failed sign-ins, counted per bucket instead of locking accounts: an account from one client address, an account from
-- anywhere, and one client address across accounts. A bucket is a SHA-256 of its kind and the normalized e-mail address
-- and/or client address, so unknown e-mail addresses are counted exactly like known ones (and not stored in clear).
create table sign_in_throttle (
    bucket           bytea primary key,
    -- The last attempt that counted here (or made the row): rows are purged only well after it.
    seen_at          timestamptz not null,
    failures         integer not null default 0,
    last_failure_at  timestamptz,
    blocked_until    timestamptz,
    -- Account-and-address buckets only: the account signed in from this address, which is then not held back by the
    -- account-wide count (guessing from elsewhere cannot keep the owner out).
    trusted_until    timestamptz
);
create index sign_in_throttle_seen on sign_in_throttle (seen_at);

-- The 15-minute lock after five failures is gone; no account stays locked by it.
update users set lockout_end = null, access_failed_count = 0 where lockout_end is not null or access_failed_count <> 0;
