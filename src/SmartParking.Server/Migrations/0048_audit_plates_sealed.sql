-- What else names a person in the audit log is sealed at rest too (0047 sealed the actor): the plate a staff read was
-- about (entity type "plate": enforcement lookups and plate searches), with a blind index so "who looked up this plate"
-- is still answered, and the changes of the actions that name a person (an export's filters, which may hold a plate or
-- an address; a new staff account's address and name). Older entries are sealed by the background sweep.
alter table audit_log alter column entity_id drop not null,
    add column entity_id_encrypted bytea, add column entity_id_index bytea, add column changes_encrypted bytea;
create index audit_log_entity_id_index on audit_log (entity_id_index) where entity_id_index is not null;
create index audit_log_plate_clear on audit_log (id) where entity_id is not null and entity_type = 'plate';
-- By action: the sweep looks for the actions whose changes are sealed.
create index audit_log_changes_clear on audit_log (action) where changes is not null;
