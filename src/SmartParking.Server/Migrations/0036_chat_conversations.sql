-- The chat assistant's conversations, one per channel user (a web driver, a Telegram chat, a WhatsApp number). Any node
-- can take the next message: the dialogue state and the last turns live here, not in memory. A conversation silent for
-- Chat:ConversationTimeoutSeconds starts afresh; one silent for Chat:RetentionHours is deleted with what it said.
create table chat_conversations (
    channel        text not null,
    sender         text not null,
    language       text not null default 'en',
    state          jsonb not null default '{}',
    turns          jsonb not null default '[]',
    version        bigint not null default 0,
    last_active_at timestamptz not null,
    primary key (channel, sender)
);
create index chat_conversations_last_active on chat_conversations (last_active_at);

-- A Telegram chat or WhatsApp number the driver linked to their account with a one-time code from the app. Kept until
-- the driver unlinks it (the conversations themselves are deleted after a day of silence).
create table chat_links (
    channel   text not null,
    sender    text not null,
    driver_id uuid not null,
    linked_at timestamptz not null,
    primary key (channel, sender)
);
create index chat_links_driver on chat_links (driver_id);

-- One-time link codes, stored as hashes, valid for minutes.
create table chat_link_codes (
    code_hash  bytea primary key,
    driver_id  uuid not null,
    expires_at timestamptz not null
);
create index chat_link_codes_driver on chat_link_codes (driver_id);
