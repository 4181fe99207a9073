#!/usr/bin/env bash
# dce-store against a real PostgreSQL 15 started here on a run-time port: the same
# behaviour checks as on SQLite (tests/cli/store_behaviour.sh), then what is PostgreSQL's
# own: the password only from the credentials file or PGPASSFILE (a URL holding one is
# refused), a v1 database upgraded in place, and TLS verified with sslmode=verify-full.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
need openssl jq
# TLS: a CA and a server certificate for 127.0.0.1, made now.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dce test CA" \
    -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/server.key" -out "$T/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
    -extfile "$T/san.ext" -out "$T/server.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
chown postgres: "$T/server.key" "$T/server.pem"
chmod 600 "$T/server.key"
PG_EXTRA_OPTS="-c ssl=on -c ssl_cert_file=$T/server.pem -c ssl_key_file=$T/server.key"
pg_start --password

# Every database of the behaviour checks is a fresh PostgreSQL database; the password
# reaches dce-store through PGPASSFILE (libpq's own), never argv.
printf '127.0.0.1:%s:*:postgres:%s\n' "$PG_PORT" "$PG_PASSWORD" >"$T/pgpass"
chmod 600 "$T/pgpass"
export PGPASSFILE="$T/pgpass"
new_db() { pg_createdb "$1"; }
STORE_BEHAVIOUR_SOURCED=1 . "$DCE_SOURCE_DIR/tests/cli/store_behaviour.sh"
unset PGPASSFILE

URL=$(PGPASSFILE=$T/pgpass pg_createdb creds)
# A URL with a password is refused before any connection, and the password is not echoed.
dce-store ingest --db "postgresql://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/creds" \
    <"$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" 2>"$T/pw.err"
check_eq "URL with a password is a usage error" 2 $?
check_contains "refusal says why" "$(cat "$T/pw.err")" "contains a password"
check_not_contains "the password is not echoed" "$(cat "$T/pw.err")" "$PG_PASSWORD"
# No password at all: the server refuses, exit 3.
dce-store ingest --db "$URL" <"$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" 2>"$T/nopw.err"
check_eq "no password: runtime error" 3 $?
# The password from the credentials file.
(umask 077; printf '[pg]\nkind = password\nuser = postgres\npassword = %s\n' "$PG_PASSWORD" >"$T/creds")
dce-store ingest --db "$URL" --credentials "$T/creds" --credential pg \
    <"$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" 2>"$T/cred.err"
check_eq "ingest with --credential" 0 $?
check_not_contains "password not logged" "$(cat "$T/cred.err")" "$PG_PASSWORD"
check_eq "rows in PostgreSQL" 6 "$(PGPASSFILE=$T/pgpass pg_psql 'SELECT count(*) FROM readings' creds)"
chmod 644 "$T/creds"
dce-store query readings --db "$URL" --credentials "$T/creds" --credential pg >/dev/null 2>"$T/mode.err"
check_eq "a credentials file readable by others is refused" 2 $?

# TLS: verify-full against the right CA works, against another CA fails.
chmod 600 "$T/creds"
dce-store query readings --db "$URL?sslmode=verify-full&sslrootcert=$T/ca.pem" --credentials "$T/creds" \
    --credential pg --format json >"$T/tls.jsonl" 2>"$T/tls.err"
check_eq "verify-full with the server's CA" 0 $?
validate_records "$T/tls.jsonl"
check_eq "TLS connection used" t "$(PGPASSFILE=$T/pgpass pg_psql "SELECT bool_or(ssl) FROM pg_stat_ssl" creds)"
dce-store query readings --db "$URL?sslmode=verify-full&sslrootcert=$T/other.pem" --credentials "$T/creds" \
    --credential pg >/dev/null 2>"$T/badtls.err"
check_eq "verify-full with another CA fails" 3 $?
check_contains "certificate failure named" "$(cat "$T/badtls.err")" "certificate verify failed"

# A v1 database (before sites) upgraded in place on PostgreSQL.
export PGPASSFILE="$T/pgpass"
V1=$(pg_createdb v1)
sed -e 's/INTEGER PRIMARY KEY/BIGSERIAL PRIMARY KEY/; s/ WITHOUT ROWID//' "$DCE_SOURCE_DIR/tests/data/store/schema-v1.sql" |
    PGPASSWORD=$PG_PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d v1 -v ON_ERROR_STOP=1 >/dev/null
check_eq "v1 loaded" 1 "$(pg_psql 'SELECT max(version) FROM schema_version' v1)"
dce-store migrate --db "$V1" 2>"$T/mig.err"
check_eq "migrate exits 0" 0 $?
check_contains "migrate says what it did" "$(cat "$T/mig.err")" "schema version 1 -> 6"
check_eq "current version now" 6 "$(pg_psql 'SELECT max(version) FROM schema_version' v1)"
dce-store query readings --db "$V1" --format json >"$T/v1.jsonl"
validate_records "$T/v1.jsonl"
jq_eq "v1 readings kept" "$T/v1.jsonl" 'map(.value)|tostring' "[100,98]"
# Version 4 partitions readings by day: the old rows became the partition readings_legacy.
check_eq "old readings in readings_legacy" 2 "$(pg_psql 'SELECT count(*) FROM readings_legacy' v1)"
check_eq "readings is partitioned" 1 "$(pg_psql "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'readings'::regclass" v1)"
# Re-ingesting what the old table holds is still recognised as already stored.
dce-store ingest --db "$V1" <"$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" 2>"$T/v1again.err"
check_eq "ingest into the upgraded database" 0 $?
check_eq "no reading stored twice" "$(pg_psql 'SELECT count(DISTINCT (series, ts)) FROM readings' v1)" "$(pg_psql 'SELECT count(*) FROM readings' v1)"
finish
