-- The daily report of each tenant's previous local day, made at 06:00 in the tenant's zone and kept for download
-- (Analytics:DailyReports:RetentionDays). One row per tenant and day: the key is what makes the report happen once
-- whatever the number of nodes and restarts. emailed_at is set once the e-mail to the operators is queued.
create table daily_reports (
    tenant_id     uuid not null references tenants(id) on delete cascade,
    local_date    date not null,
    time_zone     text not null,
    generated_at  timestamptz not null,
    -- The headline figures, the e-mail's text.
    summary       text not null,
    pdf           bytea not null,
    xlsx          bytea not null,
    emailed_at    timestamptz,
    primary key (tenant_id, local_date)
);

-- Files that go with a queued e-mail (a daily report's PDF and Excel), stored with the message so a retry after a
-- crash or an SMTP failure sends the same files.
create table notification_attachments (
    message_id    uuid not null references notification_messages(id) on delete cascade,
    position      integer not null,
    file_name     text not null,
    content_type  text not null,
    content       bytea not null,
    primary key (message_id, position)
);
