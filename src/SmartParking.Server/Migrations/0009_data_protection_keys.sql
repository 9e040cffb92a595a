-- The key ring that protects sign-in cookies, antiforgery tokens and Blazor circuit state. Every replica must read
-- the same keys, or a cookie issued by one node is rejected by the next.
create table data_protection_keys (
    name text primary key,
    xml text not null,
    created_at timestamptz not null default now()
);
