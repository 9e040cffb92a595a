-- Problems drivers report through the chat assistant are alerts too, opened at once and resolved only by an operator.
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check
    check (kind in ('sensors_offline', 'revenue_drop', 'lot_full', 'low_battery', 'payment_circuit_open', 'ingest_backlog', 'driver_report'));
