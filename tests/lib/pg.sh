# PostgreSQL 15 for tests: a private cluster in $T at a run-time port on 127.0.0.1,
# owned by the unprivileged `postgres` user (tests run as root; the server refuses to).
# Source after tests/lib/common.sh:
#     pg_start [--password]   # sets PG_PORT, PG_DIR, PG_URL_BASE; skips if PostgreSQL is absent
#     pg_createdb NAME        # prints postgresql://postgres@127.0.0.1:PORT/NAME
#     pg_psql SQL [DB]        # runs SQL as the superuser
# With --password the cluster uses scram-sha-256 and PG_PASSWORD is the superuser's
# password (written to a 0600 file, never on a command line). Stopped at exit.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_start() {
    [ -x "$PG_BIN/initdb" ] || skip "PostgreSQL 15 is not installed ($PG_BIN/initdb)"
    id postgres >/dev/null 2>&1 || skip "no postgres user"
    command -v psql >/dev/null || skip "psql is not installed"
    PG_DIR="$T/pg"
    mkdir -p "$PG_DIR"
    chown postgres: "$PG_DIR"
    chmod 700 "$PG_DIR"
    PG_PORT=$(free_port)
    local auth=trust
    PG_PASSWORD=""
    if [ "${1:-}" = "--password" ]; then
        auth=scram-sha-256
        PG_PASSWORD="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
        (umask 077; printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pwfile")
        chown postgres: "$PG_DIR/pwfile"
    fi
    local pwopt=""
    [ -n "$PG_PASSWORD" ] && pwopt="--pwfile=$PG_DIR/pwfile"
    su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PG_DIR/data' -U postgres --auth=$auth $pwopt -E UTF8 --locale=C.UTF-8" \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; finish; }
    # fsync off: the tests check dce-store's transactions, not the disk's; it saves
    # seconds on a busy machine. Never do this for real data.
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -l '$PG_DIR/pg.log' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$PG_DIR' -c fsync=off ${PG_EXTRA_OPTS:-}\" start" \
        >/dev/null 2>&1 || { cat "$PG_DIR/pg.log" >&2; fail "PostgreSQL did not start"; finish; }
    _pg_started=1
    trap '_pg_stop; _dce_cleanup' EXIT
    PG_URL_BASE="postgresql://postgres@127.0.0.1:$PG_PORT"
}

_pg_stop() {
    [ -n "${_pg_started:-}" ] || return 0
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -m immediate -w stop" >/dev/null 2>&1
    _pg_started=""
}

pg_psql() {  # pg_psql SQL [DB]
    PGPASSWORD="$PG_PASSWORD" psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"
}

pg_createdb() {
    pg_psql "CREATE DATABASE \"$1\"" >/dev/null || fail "cannot create database $1"
    echo "$PG_URL_BASE/$1"
}
