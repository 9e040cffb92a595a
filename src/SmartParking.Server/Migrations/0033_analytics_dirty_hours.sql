-- Hours whose arrival facts changed since their rollup was last computed. Ingest's status changes only mark them (one
-- cheap upsert per batch); the rollup job recomputes the marked hours together, so a busy hour is recomputed once a
-- round instead of once per ingest batch. marked changes on every mark, so a mark set again during a recompute stays.
create sequence analytics_dirty_marks;
create table analytics_dirty_hours (
    lot_id  uuid not null,
    hour    timestamptz not null,
    marked  bigint not null default nextval('analytics_dirty_marks'),
    primary key (lot_id, hour)
);
