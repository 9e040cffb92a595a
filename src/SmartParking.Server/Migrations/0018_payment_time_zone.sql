-- The zone a payment's times are shown in on receipts: the lot's, given by the module that charges.
alter table payments add column time_zone text;
