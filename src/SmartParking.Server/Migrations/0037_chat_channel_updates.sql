-- Webhook deliveries the chat channels have taken (a Telegram update_id, a WhatsApp message id). Telegram and Meta retry
-- a delivery they think failed, possibly to another node: a message is answered only by the request that inserts its
-- row. Rows older than a day are pruned; neither provider retries that long.
create table chat_channel_updates (
    channel     text not null,
    update_id   text not null,
    received_at timestamptz not null,
    primary key (channel, update_id)
);
create index chat_channel_updates_received on chat_channel_updates (received_at);
