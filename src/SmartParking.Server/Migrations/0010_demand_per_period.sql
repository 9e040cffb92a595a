-- A demand rate per time band (peak, off-peak), as SFpark kept one per time of day: a recompute steps only the band it
-- runs in, so empty nights no longer pull the daytime price down. Existing prices start both bands at the rate they had.
alter table lot_prices rename column demand_rate to peak_demand_rate;
alter table lot_prices add column off_peak_demand_rate numeric(12,2);
update lot_prices set off_peak_demand_rate = peak_demand_rate;
alter table lot_prices alter column off_peak_demand_rate set not null;

-- The band a history row stepped; its previous_rate and demand_rate are that band's (null: rows from before bands).
alter table price_history add column period text check (period in ('peak', 'off_peak'));
