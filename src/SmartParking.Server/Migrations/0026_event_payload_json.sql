-- Event payloads are written once and read back whole, as text. json (checked, kept as written) costs the writer a
-- fraction of jsonb's parse, and storing it uncompressed spends nothing trying to compress uuid-heavy payloads that barely
-- compress: ingest writes one event per batch listing every changed space, so both costs were on its hot path.
alter table domain_events alter column payload type json using payload::json;
alter table domain_events alter column payload set storage external;
