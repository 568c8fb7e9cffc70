-- Run once by the postgres image on an empty data volume, as POSTGRES_USER: the database that holds the
-- lake's Iceberg catalog and the pipeline state (LOG_ASSETS_DATABASE_URL), beside Dagster's own
-- (POSTGRES_DB = DAGSTER_PG_DB).
CREATE DATABASE log_assets;
