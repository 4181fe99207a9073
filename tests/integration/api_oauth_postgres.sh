#!/usr/bin/env bash
# tests/integration/api_oauth.sh with the store on a real PostgreSQL 15 started here on a
# run-time port: the same OAuth2 flow, site isolation and limits, with clients and tokens
# in PostgreSQL's api_clients and api_tokens. The token key is a file given with
# --token-key (there is no SQLite file to keep it beside).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
pg_start
API_DB=$(pg_createdb api)
API_TOKEN_KEY=$T/api-token.key
API_OAUTH_SOURCED=1 . "$DCE_SOURCE_DIR/tests/integration/api_oauth.sh"

check_eq "PostgreSQL: every secret stored as scrypt" 4 \
    "$(pg_psql "SELECT count(*) FROM api_clients WHERE secret_hash LIKE '\$scrypt\$ln=%'" api)"
check_eq "PostgreSQL: tokens stored as 64-hex HMACs" 0 \
    "$(pg_psql "SELECT count(*) FROM api_tokens WHERE hash !~ '^[0-9a-f]{64}\$'" api)"
check_eq "PostgreSQL: no token stored in clear" 0 \
    "$(pg_psql "SELECT count(*) FROM api_tokens WHERE hash = '$PARIS' OR hash = '$OPS'" api)"
finish
