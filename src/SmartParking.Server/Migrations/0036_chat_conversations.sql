-- The chat assistant's conversations, one per channel user (a web driver, a Telegram chat, a WhatsApp number). Any node
-- can take the next message: the dialogue state and the last turns live here, not in memory. A conversation silent for
-- Chat:ConversationTimeoutSeconds starts afresh; one silent for Chat:RetentionHours is deleted with what it said.
create table chat_conversations (
    channel        text not null,
    sender         text not null,
    driver_id      uuid,
    language       text not null default 'en',
    state          jsonb not null default '{}',
    turns          jsonb not null default '[]',
    version        bigint not null default 0,
    last_active_at timestamptz not null,
    primary key (channel, sender)
);
create index chat_conversations_last_active on chat_conversations (last_active_at);
