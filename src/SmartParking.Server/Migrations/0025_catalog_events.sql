-- Catalogue changes (lots, spaces, sensors) become LotCatalogChanged domain events instead of catalog_changed notices:
-- recorded in the changing transaction by the same triggers, once per lot per transaction (a transaction-local
-- setting remembers the lots already recorded, so a bulk import of thousands of rows records one event).
create function record_lot_catalog_change(changed_lot uuid) returns void language plpgsql as $$
declare
    marker text := 'smartparking.catalog_' || replace(changed_lot::text, '-', '');
begin
    if changed_lot is null or current_setting(marker, true) = '1' then return; end if;
    perform set_config(marker, '1', true);
    insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload)
    select gen_random_uuid(), 'LotCatalogChanged', changed_lot::text, (select tenant_id from lots where id = changed_lot), clock_timestamp(),
           jsonb_build_object('lotId', changed_lot);
    perform pg_notify('domain_events', '');
end $$;

create or replace function notify_catalog_change() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then perform record_lot_catalog_change(old.lot_id); end if;
    if tg_op <> 'DELETE' then perform record_lot_catalog_change(new.lot_id); end if;
    return null;
end $$;

create or replace function notify_lot_change() returns trigger language plpgsql as $$
begin
    perform record_lot_catalog_change(coalesce(new.id, old.id));
    return null;
end $$;

create or replace function notify_sensor_change() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then perform record_lot_catalog_change(old.lot_id); end if;
    if tg_op <> 'DELETE' then perform record_lot_catalog_change(new.lot_id); end if;
    return null;
end $$;
