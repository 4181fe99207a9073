#!/usr/bin/env bash
# tests/integration/api_prometheus.sh with the store on a real PostgreSQL 15 started here
# on a run-time port: the same promtool and curl checks, so the Prometheus subset's
# series listing (newest reading per series) and range reads are exercised on
# PostgreSQL's query paths too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
pg_start
API_DB=$(pg_createdb prom)
API_TOKEN_KEY=$T/api-token.key
API_PROM_SOURCED=1 . "$DCE_SOURCE_DIR/tests/integration/api_prometheus.sh"
finish
