#!/usr/bin/env bash
# dce-cert csr / selfsigned / check-pair: every key type, key files created 0600, no
# overwrite without --force, passphrases from env/stdin/credentials (never argv), and
# check-pair telling a matching key and a well-ordered chain from the wrong ones.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-cert jq openssl
cd "$T" || exit 1
umask 022  # a lax umask must not widen the key's mode

for kt in rsa2048 p256 p384 ed25519; do
    dce-cert csr --key-type "$kt" --subject "CN=ups1.example.com,O=Example" --san ups1.example.com --san 10.20.0.5 \
        --key-out "$kt.key" --out "$kt.csr" 2>/dev/null
    check_eq "csr $kt exit status" 0 $?
    check_eq "$kt key mode" 600 "$(stat -c %a "$kt.key")"
    check_status "$kt csr verifies" 0 openssl req -in "$kt.csr" -verify -noout
    txt=$(openssl req -in "$kt.csr" -noout -text 2>/dev/null)
    check_contains "$kt csr subject" "$txt" "CN = ups1.example.com"
    check_contains "$kt csr SAN DNS" "$txt" "DNS:ups1.example.com"
    check_contains "$kt csr SAN IP" "$txt" "IP Address:10.20.0.5"
    check_status "$kt key matches csr" 0 sh -c "[ \"\$(openssl pkey -in $kt.key -pubout)\" = \"\$(openssl req -in $kt.csr -pubkey -noout)\" ]"
done
check_contains "rsa2048 key size" "$(openssl req -in rsa2048.csr -noout -text)" "2048 bit"
check_contains "p384 curve" "$(openssl req -in p384.csr -noout -text)" "P-384"

# No overwrite without --force; the old file is untouched.
before=$(sha256sum rsa2048.key)
dce-cert csr --subject CN=x --key-out rsa2048.key --out new.csr 2>"$T/err"
check_eq "refuses to overwrite" 2 $?
check_contains "says why" "$(cat "$T/err")" "--force"
check_eq "old key untouched" "$before" "$(sha256sum rsa2048.key)"
chmod 644 rsa2048.key
dce-cert csr --subject CN=x --key-out rsa2048.key --out rsa2048.csr --force 2>/dev/null
check_eq "--force replaces" 0 $?
check_eq "replaced key is 0600 again (created, not chmod-ed)" 600 "$(stat -c %a rsa2048.key)"

# Bad input is a usage error naming the problem.
dce-cert csr --subject "nonsense" --key-out bad.key --out bad.csr 2>"$T/err"
check_eq "bad subject exit status" 2 $?
check_contains "bad subject message" "$(cat "$T/err")" "KEY=value"
check_eq "no key left behind" no "$([ -e bad.key ] && echo yes || echo no)"
dce-cert csr --subject CN=x --san "IP:999.1.1.1" --key-out bad.key --out bad.csr 2>/dev/null
check_eq "bad SAN exit status" 2 $?

# Self-signed lab certificate: a cert record on stdout, and lint sees it for what it is.
dce-cert selfsigned --key-type p256 --subject "CN=lab.example" --san lab.example --san 127.0.0.1 --days 30 \
    --key-out lab.key --out lab.crt >lab.jsonl 2>/dev/null
check_eq "selfsigned exit status" 0 $?
validate_records lab.jsonl
check_eq "record: self-signed" true "$(jq .self_signed lab.jsonl)"
check_eq "record: key" "EC 256" "$(jq -r '"\(.key.type) \(.key.bits)"' lab.jsonl)"
check_eq "openssl agrees on the fingerprint" \
    "$(openssl x509 -in lab.crt -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" "$(jq -r .fingerprint_sha256 lab.jsonl)"
dce-cert lint --host lab.example lab.crt >lablint.jsonl 2>/dev/null
check_eq "lint of a self-signed file" 1 $?
validate_records lablint.jsonl
check_eq "self-signed check fails" fail "$(jq -rs '.[] | select(.check=="cert.self-signed") | .status' lablint.jsonl)"
check_eq "hostname passes" pass "$(jq -rs '.[] | select(.check=="cert.hostname") | .status' lablint.jsonl)"

# Encrypted keys: passphrase from the environment (its NAME on argv), stdin, credentials.
export LABPASS='correct horse battery'
dce-cert selfsigned --subject CN=enc --key-out enc.key --out enc.crt --passphrase-env LABPASS >/dev/null 2>&1
check_eq "encrypted key made" 0 $?
check_contains "key is encrypted" "$(head -1 enc.key)" "ENCRYPTED"
check_not_contains "passphrase not in the key file" "$(cat enc.key)" "correct horse"
check_status "openssl opens it with the passphrase" 0 openssl pkey -in enc.key -passin env:LABPASS -noout
dce-cert check-pair --key enc.key --cert enc.crt >pair.jsonl 2>"$T/err"
check_eq "encrypted key without passphrase" 3 $?
check_contains "says how to give it" "$(cat "$T/err") $(cat pair.jsonl)" "passphrase"
echo "$LABPASS" | dce-cert check-pair --key enc.key --cert enc.crt --passphrase-stdin >pair.jsonl 2>/dev/null
check_eq "check-pair with passphrase on stdin" 0 $?
validate_records pair.jsonl
check_eq "key matches" pass "$(jq -rs '.[] | select(.check=="pair.key-matches") | .status' pair.jsonl)"
printf '[labkey]\nkind = password\npassword = %s\n' "$LABPASS" >creds
chmod 600 creds
dce-cert check-pair --key enc.key --cert enc.crt --credentials creds --passphrase-credential labkey >pair2.jsonl 2>/dev/null
check_eq "check-pair with a credentials entry" 0 $?
chmod 644 creds
dce-cert check-pair --key enc.key --cert enc.crt --credentials creds --passphrase-credential labkey >/dev/null 2>&1
check_eq "credentials file readable by others is refused" 2 $?

# check-pair on a real CA chain: right key + right order pass; wrong key / wrong order fail.
tls_init
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=Test Intermediate" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -keyout int.key -out int.crt 2>/dev/null
dce-cert csr --subject CN=leaf.example --san leaf.example --key-out leaf.key --out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial -days 30 -sha256 -copy_extensions copy -out leaf.crt 2>/dev/null
dce-cert check-pair --key leaf.key --cert leaf.crt --chain int.crt --ca-file "$PKI/ca.crt" >ok.jsonl 2>/dev/null
check_eq "good pair exit status" 0 $?
validate_records ok.jsonl
check_eq "good pair: all pass" "pass pass pass" "$(jq -rs '[.[] | .status] | join(" ")' ok.jsonl)"
dce-cert check-pair --key lab.key --cert leaf.crt --chain int.crt >bad.jsonl 2>/dev/null
check_eq "wrong key exit status" 1 $?
check_eq "wrong key fails" fail "$(jq -rs '.[] | select(.check=="pair.key-matches") | .status' bad.jsonl)"
cat "$PKI/ca.crt" int.crt >wrongorder.pem
dce-cert check-pair --key leaf.key --cert leaf.crt --chain wrongorder.pem >order.jsonl 2>/dev/null
check_eq "wrong chain order exit status" 1 $?
check_eq "chain order fails" fail "$(jq -rs '.[] | select(.check=="pair.chain-links") | .status' order.jsonl)"
validate_records order.jsonl
dce-cert check-pair --key leaf.key --cert leaf.crt --chain int.crt --ca-file lab.crt >untrusted.jsonl 2>/dev/null
check_eq "chain not leading to the CA given" fail "$(jq -rs '.[] | select(.check=="pair.chain-trusted") | .status' untrusted.jsonl)"

# Usage errors: exit 2.
check_status "no subcommand" 2 dce-cert
check_status "unknown key type" 2 dce-cert csr --key-type rsa512 --subject CN=x --key-out a --out b
finish
