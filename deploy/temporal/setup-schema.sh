#!/bin/sh
# Create (if missing) and upgrade Temporal's persistence and visibility schemas on PostgreSQL.
set -eu
SCHEMA=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" create-database || true
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" setup-schema -v 0.0 || true
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" update-schema -d "$SCHEMA/$dir/versioned"
done
