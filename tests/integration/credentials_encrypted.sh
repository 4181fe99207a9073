#!/usr/bin/env bash
# Credentials encrypted at rest (issue 14): a file sealed with `systemd-creds encrypt
# --with-key=host` is decrypted on use by a real tool run against the lab snmpd; a
# tampered one is refused (exit 2, one clear line, never read as plaintext); systemd's
# $CREDENTIALS_DIRECTORY is looked in first; a plaintext file still works with one info
# line naming the encrypted way; no secret appears in any output.
# systemd-creds needs the host key /var/lib/systemd/credential.secret, which it creates
# as root (CI runs tests as root).
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-discover systemd-creds snmpd jq
[ "$(id -u)" = 0 ] || skip "systemd-creds --with-key=host needs root (the host key is root's)"

lab_init "$T/lab"
start_snmpd --v3-only --address 127.0.0.32 --name credlab || skip "snmpd did not start"
AGENT="127.0.0.32:$SNMPD_PORT"
ENTRY=lab-v3-sha256
AUTH=$(lab_cred "$ENTRY" auth_pass)
PRIV=$(lab_cred "$ENTRY" priv_pass)
[ -n "$AUTH" ] && [ -n "$PRIV" ] || fail "lab credentials entry $ENTRY has no passphrases"

(umask 077 && awk -v sec="[$ENTRY]" '$0 == sec { on = 1; print; next } /^\[/ { on = 0 } on' \
    "$LAB_CREDENTIALS" >"$T/plain")
systemd-creds encrypt --with-key=host --name=dce-credentials "$T/plain" "$T/creds.cred" \
    2>"$T/encrypt.err" || { cat "$T/encrypt.err" >&2; skip "systemd-creds encrypt failed"; }
check_not_contains "the sealed file does not hold the passphrase" "$(cat "$T/creds.cred")" "$AUTH"

run() { dce-discover --timeout 2s --retries 0 --no-progress "$@"; }
# no_secret WHAT FILE...: neither passphrase appears in the files.
no_secret() {
    local what=$1 f; shift
    for f in "$@"; do
        check_not_contains "$what: no auth passphrase in $(basename "$f")" "$(cat "$f")" "$AUTH"
        check_not_contains "$what: no priv passphrase in $(basename "$f")" "$(cat "$f")" "$PRIV"
    done
}

# 1. The encrypted file, decrypted on use: the v3 user in it identifies the agent.
check_status "encrypted: discover runs" 0 \
    run --log-level debug --credentials "$T/creds.cred" "$AGENT" >"$T/enc.jsonl" 2>"$T/enc.err"
validate_records "$T/enc.jsonl"
jq_eq "encrypted: identified" "$T/enc.jsonl" '.[0].identified' true
jq_eq "encrypted: credential named" "$T/enc.jsonl" '.[0].credential' "$ENTRY"
check_not_contains "encrypted: no plaintext warning" "$(cat "$T/enc.err")" "is plaintext"
no_secret encrypted "$T/enc.jsonl" "$T/enc.err"

# The same, detected by its content (base64, not INI), whatever its name.
cp "$T/creds.cred" "$T/sealed-no-ext"
run --credentials "$T/sealed-no-ext" "$AGENT" >"$T/noext.jsonl" 2>"$T/noext.err"
jq_eq "encrypted without .cred: identified" "$T/noext.jsonl" '.[0].identified' true

# 2. A tampered file: one byte of the sealed data flipped. Refused, exit 2, one line that
# names the file and says decryption failed, nothing read as plaintext.
python3 - "$T/creds.cred" "$T/tampered.cred" <<'EOF'
import base64, sys
data = bytearray(base64.b64decode(open(sys.argv[1], "rb").read()))
data[len(data) // 2] ^= 0x01
open(sys.argv[2], "wb").write(base64.b64encode(bytes(data)) + b"\n")
EOF
chmod 600 "$T/tampered.cred"
check_status "tampered: exit 2" 2 \
    run --credentials "$T/tampered.cred" "$AGENT" >"$T/tam.jsonl" 2>"$T/tam.err"
check_eq "tampered: nothing on stdout" 0 "$(wc -c <"$T/tam.jsonl")"
check_eq "tampered: one line on stderr" 1 "$(wc -l <"$T/tam.err")"
check_contains "tampered: names the file" "$(cat "$T/tam.err")" "$T/tampered.cred"
check_contains "tampered: says decryption failed" "$(cat "$T/tam.err")" "decryption failed"
check_contains "tampered: systemd-creds' message" "$(cat "$T/tam.err")" "Decryption failed"
no_secret tampered "$T/tam.jsonl" "$T/tam.err"

# A file that is neither INI nor a credential (garbage base64) is refused the same way.
head -c 300 /dev/urandom | base64 >"$T/junk.cred"
check_status "junk .cred: exit 2" 2 run --credentials "$T/junk.cred" "$AGENT" >/dev/null 2>"$T/junk.err"
check_contains "junk .cred: decryption failed" "$(cat "$T/junk.err")" "decryption failed"

# 3. $CREDENTIALS_DIRECTORY (what systemd's LoadCredentialEncrypted=dce-credentials:...
# makes): used before $DCE_CREDENTIALS, mode 0400, no --credentials given.
mkdir -m 0700 "$T/credsdir"
systemd-creds decrypt --name=dce-credentials "$T/creds.cred" "$T/credsdir/dce-credentials" 2>/dev/null
chmod 0400 "$T/credsdir/dce-credentials"
printf '[other]\nkind = community\ncommunity = not-this-one\n' >"$T/envfile" && chmod 600 "$T/envfile"
CREDENTIALS_DIRECTORY="$T/credsdir" DCE_CREDENTIALS="$T/envfile" \
    run --log-level info "$AGENT" >"$T/dir.jsonl" 2>"$T/dir.err"
jq_eq "CREDENTIALS_DIRECTORY: identified" "$T/dir.jsonl" '.[0].identified' true
jq_eq "CREDENTIALS_DIRECTORY: its entry used" "$T/dir.jsonl" '.[0].credential' "$ENTRY"
check_not_contains "CREDENTIALS_DIRECTORY: no plaintext warning" "$(cat "$T/dir.err")" "is plaintext"
no_secret CREDENTIALS_DIRECTORY "$T/dir.jsonl" "$T/dir.err"
# Without dce-credentials in it, the next place is used.
mkdir -m 0700 "$T/emptydir"
CREDENTIALS_DIRECTORY="$T/emptydir" DCE_CREDENTIALS="$T/plain" \
    run "$AGENT" >"$T/dir2.jsonl" 2>/dev/null
jq_eq "empty CREDENTIALS_DIRECTORY: DCE_CREDENTIALS used" "$T/dir2.jsonl" '.[0].credential' "$ENTRY"

# 4. Plaintext still works, with one info line naming the encrypted way.
run --log-level info --credentials "$T/plain" "$AGENT" >"$T/plain.jsonl" 2>"$T/plain.err"
jq_eq "plaintext: identified" "$T/plain.jsonl" '.[0].identified' true
check_eq "plaintext: one warning line" 1 "$(grep -c 'is plaintext' "$T/plain.err")"
check_contains "plaintext: names systemd-creds encrypt" "$(cat "$T/plain.err")" "systemd-creds encrypt"
check_contains "plaintext: names LoadCredentialEncrypted=" "$(cat "$T/plain.err")" "LoadCredentialEncrypted="
no_secret plaintext "$T/plain.jsonl" "$T/plain.err"
run --log-level warn --credentials "$T/plain" "$AGENT" >/dev/null 2>"$T/plain-warn.err"
check_not_contains "plaintext: quiet at --log-level warn" "$(cat "$T/plain-warn.err")" "is plaintext"

finish
