# dce-upgrade-verify against files, checksum lists and signatures made here with the
# openssl CLI and coreutils: verdicts, exit codes, error records and schema validity.
. "$(dirname "$0")/../lib/common.sh"
need openssl sha256sum sha1sum sha512sum jq
cd "$T"
uv=dce-upgrade-verify

head -c 3000000 /dev/urandom > fw.bin
printf 'small\n' > notes.txt
mkdir sub && head -c 1000 /dev/urandom > sub/boot.img
sha256sum fw.bin notes.txt sub/boot.img > SHA256SUMS

# --- one file against a digest on the command line
$uv --sha256 "$(sha256sum fw.bin | cut -d' ' -f1)" fw.bin > out 2> err
check_eq "sha256 match exits 0" 0 $?
validate_records out
jq_eq "sha256 match is a pass" out '.[0].status + " " + .[0].check + " " + .[0].evidence.algorithm' "pass upgrade.digest sha256"
jq_eq "actual digest recorded" out '.[0].evidence.actual' "$(sha256sum fw.bin | cut -d' ' -f1)"
jq_eq "size recorded" out '.[0].evidence.bytes' 3000000

upper=$(sha512sum fw.bin | cut -d' ' -f1 | tr a-f A-F)
check_status "upper-case sha512 matches" 0 $uv --sha512 "$upper" fw.bin

$uv --sha1 "$(sha1sum fw.bin | cut -d' ' -f1)" fw.bin > out 2>/dev/null
check_eq "sha1 match still exits 0" 0 $?
jq_eq "sha1 match passes and warns" out '[.[] | .check + ":" + .status] | join(",")' "upgrade.digest:pass,upgrade.digest-strength:warn"
jq_eq "sha1 warning names the stronger digest" out '.[1].evidence.recommended' "sha256"

wrong=$(sha256sum notes.txt | cut -d' ' -f1)
$uv --sha256 "$wrong" fw.bin > out 2>/dev/null
check_eq "mismatch exits 1" 1 $?
jq_eq "mismatch is a fail of high severity" out '.[0].status + " " + .[0].severity' "fail high"
validate_records out

# stdin
head -c 100000 /dev/urandom > piped.bin
check_status "stdin (-) is hashed" 0 sh -c "$uv --sha256 $(sha256sum piped.bin | cut -d' ' -f1) - < piped.bin > /dev/null 2>&1"

# --- usage errors exit 2 with a clear line on stderr
check_status "no reference is a usage error" 2 $uv fw.bin
out=$($uv --sha256 abc fw.bin 2>&1); check_eq "short digest exits 2" 2 $?
check_contains "short digest message" "$out" "--sha256 wants 64 hex digits, got 3 digits"
check_status "two digests for one file" 2 $uv --sha256 "$wrong" --sha1 "$(sha1sum fw.bin | cut -c1-40)" fw.bin
check_status "digest with two files" 2 $uv --sha256 "$wrong" fw.bin notes.txt
check_status "unknown option" 2 $uv --frobnicate

# --- unreadable file: error record, exit 3
$uv --sha256 "$wrong" missing.bin > out 2> err
check_eq "missing file exits 3" 3 $?
jq_eq "missing file is an error record" out '.[0].type + " " + .[0].code' "error not-found"
validate_records out
check_contains "stderr names the file" "$(cat err)" "missing.bin"

# --- checksum lists
(cd / && $uv --check "$T/SHA256SUMS" > "$T/out" 2>/dev/null)
check_eq "GNU list from another folder (names relative to the list)" 0 $?
jq_eq "every listed file verified" out '[.[] | select(.status=="pass")] | length' 3
validate_records out

check_status "one file checked against its list line" 0 $uv --check SHA256SUMS sub/boot.img
printf 'x' >> notes.txt
$uv --check SHA256SUMS > out 2>/dev/null
check_eq "a changed file in a list exits 1" 1 $?
jq_eq "only that file fails" out '[.[] | select(.status=="fail") | .target] | join(",")' "notes.txt"
jq_eq "list line in evidence" out '[.[] | select(.target=="notes.txt")][0].evidence.source' "SHA256SUMS:2"

$uv --check SHA256SUMS other.bin > out 2>/dev/null
check_eq "file not in the list exits 1" 1 $?
jq_eq "unlisted file fails" out '.[0].message | test("not in the checksum list")' true

# BSD format and openssl dgst format, several algorithms in one list
openssl dgst -sha512 fw.bin > BSDSUMS          # SHA2-512(fw.bin)= ...
sha1sum --tag sub/boot.img >> BSDSUMS           # SHA1 (sub/boot.img) = ...
$uv --check BSDSUMS > out 2>/dev/null
check_eq "BSD/openssl list verifies" 0 $?
jq_eq "algorithms detected per line" out '[.[] | select(.check=="upgrade.digest") | .evidence.algorithm] | join(",")' "sha512,sha1"

# CRLF list is accepted with a warning
sha256sum fw.bin | sed 's/$/\r/' > CRLFSUMS
out=$($uv --check CRLFSUMS 2>&1 >/dev/null); check_eq "CRLF list verifies" 0 $?
check_contains "CRLF warning" "$out" "CRLFSUMS:1: line ends with CR LF"

# Malformed lines: named on stderr, error records, the good lines still checked, exit 2
{
  sha256sum fw.bin
  echo "zz$(sha256sum fw.bin | cut -c3-64)  bad-hex.bin"
  echo "$(sha256sum fw.bin | cut -c1-50)  short.bin"
  echo "MD5 (fw.bin) = d41d8cd98f00b204e9800998ecf8427e"
  echo "$(sha1sum sub/boot.img | cut -c1-40)  twice.bin"
  echo "$(sha256sum sub/boot.img | cut -c1-64)  twice.bin"
} > BADSUMS
$uv --check BADSUMS > out 2> err
check_eq "malformed list lines exit 3 (some input failed), as in every tool" 3 $?
check_contains "bad hex named" "$(cat err)" "BADSUMS:2: digest has a character that is not hex"
check_contains "wrong length named" "$(cat err)" "BADSUMS:3: a digest of 50 hex digits"
check_contains "MD5 refused" "$(cat err)" "BADSUMS:4: unknown digest algorithm 'MD5'"
check_contains "duplicate named" "$(cat err)" "BADSUMS:6: 'twice.bin' is listed twice with different digests (lines 5 and 6)"
jq_eq "good line still verified" out '[.[] | select(.type=="finding" and .status=="pass") | .target] | join(",")' "fw.bin"
jq_eq "one error record per bad line" out '[.[] | select(.type=="error") | .target] | join(",")' "BADSUMS:2,BADSUMS:3,BADSUMS:4,BADSUMS:6"
validate_records out

# --ignore-missing
sha256sum fw.bin > MISSUMS; echo "$(sha256sum fw.bin | cut -c1-64)  gone.bin" >> MISSUMS
check_status "missing listed file exits 3" 3 sh -c "$uv --check MISSUMS > /dev/null 2>&1"
check_status "--ignore-missing skips it" 0 sh -c "$uv --check MISSUMS --ignore-missing > /dev/null 2>&1"

# --- a file that changes while it is read
head -c 200000000 /dev/zero > growing.bin
( while :; do printf 'more' >> growing.bin; done ) &
writer=$!
_dce_pids+=("$writer")
# Whether the writer gets the CPU while the file is read is up to the scheduler: on a
# loaded machine one read can see no change at all, so try a few times; a change that
# happened must always be reported, which is what is checked.
sleep 0.2
for attempt in 1 2 3 4 5; do
    $uv --sha256 "$wrong" growing.bin > out 2> err
    rc=$?
    [ "$rc" = 3 ] && break
done
check_eq "changing file exits 3" 3 "$rc"
jq_eq "changing file is reported as such" out '.[0].code' "changed"
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null

# --- a file over 4 GiB (sparse, so cheap on disk)
truncate -s 4400000000 huge.bin
printf 'tail' | dd of=huge.bin bs=1 seek=4399999990 conv=notrunc status=none
big=$(sha1sum huge.bin | cut -d' ' -f1)
$uv --sha1 "$big" huge.bin > out 2>/dev/null
check_eq "file over 4 GiB verifies" 0 $?
jq_eq "size over 4 GiB recorded exactly" out '.[0].evidence.bytes' 4400000000
rm -f huge.bin

# --- detached signatures made with the openssl CLI
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl pkey -in rsa.key -pubout -out rsa.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl pkey -in ec.key -pubout -out ec.pub
openssl genpkey -algorithm ED25519 -out ed.key
openssl pkey -in ed.key -pubout -out ed.pub

openssl dgst -sha256 -sign rsa.key -out fw.rsa.sig fw.bin
openssl dgst -sha256 -sign rsa.key -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -out fw.pss.sig fw.bin
openssl dgst -sha384 -sign ec.key -out fw.ec.sig fw.bin
openssl pkeyutl -sign -inkey ed.key -rawin -in fw.bin -out fw.ed.sig
openssl base64 -in fw.rsa.sig -out fw.rsa.sig.b64

for case in "rsa.pub fw.rsa.sig sha256 rsa-pkcs1v15" "rsa.pub fw.pss.sig sha256 rsa-pss" \
            "ec.pub fw.ec.sig sha384 ecdsa" "ed.pub fw.ed.sig sha256 ed25519" "rsa.pub fw.rsa.sig.b64 sha256 rsa-pkcs1v15"; do
    set -- $case
    $uv --signature "$2" --public-key "$1" --signature-digest "$3" fw.bin > out 2>/dev/null
    check_eq "signature $2 verifies" 0 $?
    jq_eq "signature $2 scheme" out '.[0].check + " " + .[0].status + " " + .[0].evidence.scheme' "upgrade.signature pass $4"
    validate_records out
done

cp fw.bin tampered.bin; printf 'X' | dd of=tampered.bin bs=1 seek=1000 conv=notrunc status=none
for case in "rsa.pub fw.rsa.sig sha256" "ec.pub fw.ec.sig sha384" "ed.pub fw.ed.sig sha256"; do
    set -- $case
    $uv --signature "$2" --public-key "$1" --signature-digest "$3" tampered.bin > out 2>/dev/null
    check_eq "tampered file fails $2" 1 $?
    jq_eq "tampered $2 is a critical fail" out '.[0].status + " " + .[0].severity' "fail critical"
done
check_status "wrong key fails" 1 sh -c "$uv --signature fw.ec.sig --public-key rsa.pub fw.bin >/dev/null 2>&1"
echo "not a key" > junk.pem
out=$($uv --signature fw.rsa.sig --public-key junk.pem fw.bin 2>&1 >/dev/null); check_eq "junk key is a usage error" 2 $?
check_contains "junk key message" "$out" "not a PEM public key or certificate"
check_status "--signature without --public-key" 2 $uv --signature fw.rsa.sig fw.bin

# --- stdout closed early is an error exit, not a crash or a hang
$uv --check SHA256SUMS 2>err | head -c 1 > /dev/null
check_status "no crash on a closed pipe" 0 test -z "$(grep -i 'sanitizer\|core dumped' err)"

finish
