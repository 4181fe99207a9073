# Shared helpers for command-line and integration tests (bash). Source it first:
#     . "$(dirname "$0")/../lib/common.sh"
# ctest sets DCE_BIN_DIR, DCE_SOURCE_DIR, DCE_BUILD_DIR. Every test gets its own temp
# dir ($T), removed on exit, and stops background processes it started with `bg_start`.
set -uo pipefail

: "${DCE_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${DCE_BUILD_DIR:=$DCE_SOURCE_DIR/build}"
: "${DCE_BIN_DIR:=$DCE_BUILD_DIR/tools}"
export PATH="$DCE_BIN_DIR:$PATH"
T=$(mktemp -d "${TMPDIR:-/tmp}/dce-test.XXXXXX")
chmod 755 "$T"
_dce_pids=()
_dce_failures=0
_dce_checks=0

_dce_cleanup() {
    local pid
    for pid in "${_dce_pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${_dce_pids[@]}"; do wait "$pid" 2>/dev/null; done
    rm -rf "$T"
}
trap _dce_cleanup EXIT

# skip REASON: exit 77 (ctest: skipped). Under CI every component is installed, so a
# skip there is a failure: it would hide a missing install step.
skip() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL (skip not allowed in CI): $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}

need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"; done; }

fail() { echo "FAIL: $*" >&2; _dce_failures=$((_dce_failures + 1)); }
ok() { _dce_checks=$((_dce_checks + 1)); }

check_eq() {  # check_eq WHAT EXPECTED ACTUAL
    _dce_checks=$((_dce_checks + 1))
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
check_contains() {  # check_contains WHAT HAYSTACK NEEDLE
    _dce_checks=$((_dce_checks + 1))
    case "$2" in *"$3"*) ;; *) fail "$1: '$3' not found in: $2" ;; esac
}
check_not_contains() {
    _dce_checks=$((_dce_checks + 1))
    case "$2" in *"$3"*) fail "$1: '$3' should not appear in: $2" ;; esac
}
# check_status WHAT EXPECTED_CODE command...: runs the command, compares its exit status.
check_status() {
    local what=$1 want=$2; shift 2
    "$@"
    local got=$?
    _dce_checks=$((_dce_checks + 1))
    [ "$got" = "$want" ] || fail "$what: exit status $got, expected $want (command: $*)"
}
# jq_eq WHAT FILE FILTER EXPECTED: one jq filter over a JSON-lines file (slurped).
jq_eq() {
    local got
    got=$(jq -rs "$3" "$2" 2>&1)
    check_eq "$1" "$4" "$got"
}

# validate_records FILE: every line is a record that matches schemas/<type>.schema.json.
validate_records() {
    _dce_checks=$((_dce_checks + 1))
    /usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/validate_records.py" "$1" || fail "records in $1 do not match the schemas"
}

free_port() {  # a port free on 127.0.0.1 now (TCP and UDP)
    /usr/bin/python3 - "$@" <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); u.close(); t.close(); print(port); break
    except OSError:
        t.close(); u.close()
PY
}

# wait_tcp PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_tcp() {
    local port=$1 limit=${2:-20} i
    for ((i = 0; i < limit * 10; i++)); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bg_start command...: start in the background, stopped at exit. Call it directly, never
# inside $(...) or a pipeline: a subshell would record the pid in its own copy of
# _dce_pids and the process would outlive the test. Its stdin is the test's stdin
# (ctest gives /dev/null): feed a server input with a file redirection, not a heredoc.
bg_start() {
    "$@" &
    _dce_pids+=($!)
}

# finish: print the summary line and exit non-zero on any failure. A test that made no
# checks fails: a test that asserts nothing proves nothing.
finish() {
    if [ "$_dce_checks" -eq 0 ]; then
        echo "FAIL: test made no checks" >&2
        exit 1
    fi
    echo "$((_dce_checks - _dce_failures)) passed, $_dce_failures failed"
    [ "$_dce_failures" -eq 0 ]
    exit $?
}
