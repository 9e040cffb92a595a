-- The audit log's actor e-mail addresses are sealed at rest like the other personal fields (0043), with a blind index
-- of the normalised address (as users.email_index) so the log is still searched by who acted. "system" stays in clear:
-- it names no one. Rows written before this migration keep their clear text until the background sweep seals them.
alter table audit_log add column actor_email_encrypted bytea, add column actor_email_index bytea;
create index audit_log_actor_email_index on audit_log (actor_email_index) where actor_email_index is not null;
create index audit_log_actor_email_clear on audit_log (id) where actor_email is not null and actor_email <> 'system';
