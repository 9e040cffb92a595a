-- Events that name a person (a meter session's plate, a chat user's key) are recorded with their payload sealed at rest
-- like the modules' personal fields (0043): payload is empty and payload_encrypted holds the sealed JSON. Events
-- recorded in clear before this migration are sealed by the background sweep.
alter table domain_events alter column payload drop not null, add column payload_encrypted bytea,
    add constraint domain_events_payload_present check (payload is not null or payload_encrypted is not null) not valid;
-- By type: the sweep looks for the types whose payloads are sealed among those still in clear.
create index domain_events_payload_clear on domain_events (type) where payload is not null;
