#!/usr/bin/env bash
# tests/integration/api_data.sh with the store on a real PostgreSQL 15 started here on a
# run-time port: the same range and bucket values, filters, keyset pages and site
# isolation, with the row-value comparisons running on PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
pg_start
API_DB=$(pg_createdb api)
API_TOKEN_KEY=$T/api-token.key
API_DATA_SOURCED=1 . "$DCE_SOURCE_DIR/tests/integration/api_data.sh"
finish
