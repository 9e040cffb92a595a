-- Personal fields encrypted at rest (AES-256-GCM, see Platform/Protection). Each field gets a bytea column with the
-- sealed value (key version, nonce, ciphertext, tag) and, where it is looked up by equality, a blind index (HMAC-SHA256
-- of the normalised value under its own key). The clear-text columns become nullable: new writes leave them empty, and
-- the server's background sweep seals the rows written before this migration and empties their clear text, in batches
-- that resume after a restart. They are dropped by a later migration, once every deployment has run the sweep.

-- Keys the data was sealed with and the blind-index key's fingerprint, so start-up refuses keys that cannot read it.
create table protection_settings (
    id boolean primary key default true check (id),
    index_key_fingerprint bytea not null
);
create table protection_key_versions (
    version smallint primary key,
    activated_at timestamptz not null,
    retired_at timestamptz
);

alter table users alter column email drop not null, alter column normalized_email drop not null,
    add column email_encrypted bytea, add column email_index bytea, add column authenticator_key_encrypted bytea;
create unique index users_email_index on users (email_index);
create index users_email_clear on users (id) where email is not null;
create index users_authenticator_key_clear on users (id) where authenticator_key is not null;

alter table reservations add column plate_encrypted bytea, add column plate_index bytea;
create index reservations_plate_index on reservations (plate_index) where status in ('confirmed', 'checked_in');
-- Finds the rows the sweep has still to seal, and a plate among them (the lookups' fallback) by equality.
create index reservations_plate_clear on reservations (plate) where plate is not null;

alter table meter_sessions alter column plate drop not null, add column plate_encrypted bytea, add column plate_index bytea;
-- One running session per plate and lot, on the blind index now that the plate itself is sealed.
create unique index meter_sessions_one_active_index on meter_sessions (lot_id, plate_index) where status = 'active';
create index meter_sessions_plate_index on meter_sessions (plate_index, ends_at desc);
create index meter_sessions_plate_clear on meter_sessions (id) where plate is not null;

alter table notification_preferences add column phone_encrypted bytea;

alter table chat_conversations alter column turns drop not null, alter column turns drop default, add column turns_encrypted bytea;
create index chat_conversations_turns_clear on chat_conversations (last_active_at) where turns is not null;

alter table chat_handoff_messages alter column text drop not null, add column text_encrypted bytea;
create index chat_handoff_messages_text_clear on chat_handoff_messages (id) where text is not null;
