-- Chat users are stored by a blind index of their channel id (Telegram chat id, WhatsApp number, REST sender id), not by
-- the id itself; web users stay stored by their account id. The clear id is kept only sealed: by a hand-over, to send the
-- operator's answers, and by a link, to show the driver which account is linked. Rows from before are re-keyed by the
-- chat-sender-rekeying job, which these partial indexes keep cheap.
alter table chat_handoffs add column sender_encrypted bytea;
alter table chat_links add column sender_encrypted bytea;
create index chat_links_clear_sender on chat_links (channel) where channel <> 'web' and sender not like 'k1:%';
create index chat_conversations_clear_sender on chat_conversations (channel) where channel <> 'web' and sender not like 'k1:%';
create index chat_handoffs_clear_sender on chat_handoffs (channel) where channel <> 'web' and sender not like 'k1:%';
