#!/usr/bin/env bash
# tests/integration/api_contract.sh with the store on a real PostgreSQL 15 started here on
# a run-time port: the same routes, shapes and site isolation through PostgreSQL's SQL
# (its site filters, keyset cursors and change offsets are its own code, not SQLite's).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
pg_start
API_DB=$(pg_createdb contract)
API_TOKEN_KEY=$T/api-token.key
API_CONTRACT_SOURCED=1 . "$DCE_SOURCE_DIR/tests/integration/api_contract.sh"
finish
