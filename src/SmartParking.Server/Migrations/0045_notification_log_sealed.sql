-- The notification log's addresses (e-mail addresses, phone numbers, push endpoints) and message texts (which name
-- plates and places) are sealed at rest like the other personal fields (0043). A message is sent once per event,
-- recipient, channel and kind: that key now holds the address's blind index. Rows written before this migration keep
-- their clear text until the background sweep seals them.
alter table notification_messages alter column address drop not null, alter column body_text drop not null,
    add column address_encrypted bytea, add column address_index bytea,
    add column body_text_encrypted bytea, add column body_html_encrypted bytea;
create unique index notification_messages_once on notification_messages (source_event_id, address_index, channel, kind);
create index notification_messages_address_clear on notification_messages (id) where address is not null;
create index notification_messages_body_text_clear on notification_messages (id) where body_text is not null;
create index notification_messages_body_html_clear on notification_messages (id) where body_html is not null;
