-- A lot's zones and parking rules are part of what drivers see of it (its public record, cached on every node): a
-- change to either records LotCatalogChanged, as a change to its spaces does, so every node forgets the lot.
create trigger zones_changed after insert or update or delete on zones for each row execute function notify_catalog_change();
create trigger zone_rules_changed after insert or update or delete on zone_rules for each row execute function notify_catalog_change();
