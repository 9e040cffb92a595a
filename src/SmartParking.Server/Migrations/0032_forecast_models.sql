-- Occupancy forecast models, one series of versions per tenant (the model is global over the tenant's lots). The
-- newest is 'active'; a few earlier ones stay as 'previous' to compare with or go back to. A model is written whole
-- in one transaction, so a training that dies half-way leaves the active one as it was.
create table forecast_models (
    id                    uuid primary key,
    tenant_id             uuid not null,
    version               integer not null check (version > 0),
    status                text not null check (status in ('active', 'previous')),
    trained_at            timestamptz not null,
    trained_from          timestamptz not null,
    trained_to            timestamptz not null,
    lots                  integer not null check (lots >= 0),
    hours                 integer not null check (hours >= 0),
    learner               text not null,
    feature_layout        text not null,
    -- The quick honest backtest: trained on all but each lot's last 7 days, forecast over them; null when no lot had
    -- enough history for it.
    backtest_mae          double precision,
    backtest_rmse         double precision,
    seasonal_naive_mae    double precision,
    seasonal_naive_rmse   double precision,
    training_seconds      double precision not null,
    model                 bytea not null,
    unique (tenant_id, version)
);
create unique index forecast_models_one_active on forecast_models (tenant_id) where status = 'active';
