-- The minute sampler adds a sample to every lot's, zone's and space type's hour and day rollup, and to the lot's
-- lot_occupancy_hourly hour, each minute: sixty updates of each such row an hour. None of the columns it changes is
-- indexed, so with room left on the page PostgreSQL updates a row in place (a HOT update) instead of writing a new
-- entry into every index of the table. With full pages (the default) 1 % of the rollups' updates were HOT in
-- `bench chat`, 43 % with this room.
alter table analytics_rollups set (fillfactor = 70);
alter table lot_occupancy_hourly set (fillfactor = 70);
