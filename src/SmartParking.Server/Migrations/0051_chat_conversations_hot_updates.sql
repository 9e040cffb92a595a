-- Every chat message rewrites its conversation's row. With no index on a column that changes (last_active_at was
-- indexed twice), PostgreSQL updates it in place on its page (a HOT update) instead of adding an entry to every index.
-- Deleting silent conversations (every few minutes) scans the table instead: one row per recent chat user.
drop index chat_conversations_last_active;
drop index chat_conversations_turns_clear;
-- Rows still holding turns in clear, for the protection sweep (none once it has run), on columns that never change.
create index chat_conversations_turns_clear on chat_conversations (channel, sender) where turns is not null;
-- Room on each page for the next version of its rows.
alter table chat_conversations set (fillfactor = 70);
