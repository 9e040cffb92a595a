-- The last TOTP time step (unix time / 30 s) accepted for an account: RFC 6238 §5.2, a code is taken once, and no code
-- of that step or an earlier one after it. Null until a code has been accepted.
alter table users add column totp_last_step bigint;
