-- A chat handed over to a person: it waits in the queue of the operator it concerns (the lot talked about, or the
-- driver's current parking; no tenant = the platform's own staff) until someone answers it there, and is closed by the
-- operator or by the driver going back to the assistant (or after Chat:HandoffIdleHours without a word), and deleted with
-- what was said Chat:HandoffRetentionDays after it closed.
create table chat_handoffs (
    id           uuid primary key,
    channel      text not null,
    sender       text not null,
    -- Where the channel sends from (WhatsApp: the business number's phone_number_id the driver wrote to).
    reply_via    text,
    driver_id    uuid,
    tenant_id    uuid,
    language     text not null,
    status       text not null check (status in ('waiting', 'answered', 'closed')),
    requested_at timestamptz not null,
    last_message_at timestamptz not null,
    closed_at    timestamptz,
    closed_by    text
);
-- One open hand-over per chat user.
create unique index chat_handoffs_open on chat_handoffs (channel, sender) where status <> 'closed';
create index chat_handoffs_queue on chat_handoffs (tenant_id, status, requested_at);

-- What was said in it: the conversation's last turns when it was handed over, then the driver's and the operator's
-- messages. An operator's message records whether its channel took it (Telegram and WhatsApp are sent at once; the web
-- widget and REST clients fetch theirs).
create table chat_handoff_messages (
    id          bigint generated always as identity primary key,
    handoff_id  uuid not null references chat_handoffs on delete cascade,
    at          timestamptz not null,
    author      text not null check (author in ('driver', 'assistant', 'operator')),
    operator_id uuid,
    text        text not null,
    delivery    text check (delivery in ('sent', 'failed', 'fetch'))
);
create index chat_handoff_messages_thread on chat_handoff_messages (handoff_id, id);
