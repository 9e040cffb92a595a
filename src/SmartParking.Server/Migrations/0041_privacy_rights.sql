-- Data subjects' rights (issue 17): consent per purpose, erasure records and the inactive-account warnings.

-- Consent per purpose, every change kept: when, from where (web page, API, chat) and under which policy text. The
-- current state of a purpose is its latest row; no row means not given.
create table privacy_consents (
    id             bigint generated always as identity primary key,
    user_id        uuid not null,
    purpose        text not null check (purpose in ('marketing_notifications', 'analytics')),
    granted        boolean not null,
    source         text not null check (source in ('web', 'api', 'chat')),
    policy_version text not null,
    recorded_at    timestamptz not null
);
create index privacy_consents_user on privacy_consents (user_id, purpose, recorded_at desc, id desc);

-- The marketing consent Notifications kept moves here with its history; its preference column was only ever the
-- latest of that history (every change of it recorded a row), so it goes too.
insert into privacy_consents (user_id, purpose, granted, source, policy_version, recorded_at)
select driver_id, 'marketing_notifications', marketing, source, policy_version, recorded_at from notification_consents order by id;
drop table notification_consents;
alter table notification_preferences drop column marketing;

-- When an account last signed in or refreshed its sign-in: what makes it inactive.
alter table users add column last_active_at timestamptz;
update users u set last_active_at = greatest(u.created_at, (select max(t.created_at) from refresh_tokens t where t.user_id = u.id));
alter table users alter column last_active_at set not null;
alter table users alter column last_active_at set default now();

-- Accounts erased: who asked (the driver, an administrator, the inactivity rule) and when. Only random ids: the
-- pseudonym the account's kept records now carry is not derived from anything about the person.
create table privacy_erasures (
    user_id      uuid primary key,
    pseudonym    text not null unique,
    requested_by text not null check (requested_by in ('self', 'admin', 'inactivity')),
    erased_at    timestamptz not null
);

-- Inactive accounts warned before erasure, with the activity the warning was about: a sign-in since makes it void.
create table privacy_inactivity_warnings (
    user_id        uuid primary key,
    last_active_at timestamptz not null,
    warned_at      timestamptz not null
);

