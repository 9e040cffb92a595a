-- The sensors the demo seeded, owned by the Demo module: demo traffic drives these and no others, so an operator's
-- own sensors registered or imported into the demo tenant never get made-up readings or heartbeats.
create table demo_sensors (
    sensor_id uuid primary key references sensors(id) on delete cascade
);

-- A demo city seeded before this table existed: its sensors are the ones with the seeder's serials in its tenant.
insert into demo_sensors (sensor_id)
select se.id from sensors se join tenants t on t.id = se.tenant_id
where t.slug = 'aarhus' and se.serial like 'AAR-%';
