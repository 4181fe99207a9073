#!/usr/bin/env bash
# dce-audit's ssh and cleartext families against real servers on loopback: OpenSSH's sshd
# (ssh.off fails, ssh.protocol2 passes with its version), vsftpd with and without
# anonymous login (ftp.off, ftp.anonymous), and small python3 stand-ins for what no
# package here serves any more: an SSH-1.99 server, a telnetd (IAC DO ECHO, "login: "),
# a port that answers something other than SSH, one that answers nothing. Closed ports
# are ports nothing listens on (RST). Every check is asserted with its exact status both
# ways; the whole run exits 1 (fails), 3 (an error) or 0 (all clean) as documented.
. "$(dirname "$0")/../lib/common.sh"
need dce-audit jq python3 ssh-keygen
[ -x /usr/sbin/sshd ] || skip "sshd is not installed (openssh-server)"
[ -x /usr/sbin/vsftpd ] || skip "vsftpd is not installed"
# Both drop privileges from root (sshd's privilege separation, vsftpd's session user).
[ "$(id -u)" = 0 ] || skip "sshd and vsftpd need to start as root"

# ---- sshd: its own config and host key, in the foreground --------------------------
SSH_PORT=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
cat >"$T/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
mkdir -p /run/sshd  # privilege separation directory; sshd refuses to start without it
/usr/sbin/sshd -t -f "$T/sshd_config" || skip "sshd rejects the test configuration"
bg_start /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log"
wait_tcp "$SSH_PORT" || { cat "$T/sshd.log" >&2; skip "sshd did not start"; }

# ---- vsftpd: one with anonymous login, one without -------------------------------------
mkdir -p "$T/empty" "$T/anon"
chmod 555 "$T/empty" "$T/anon"  # vsftpd refuses a writable anonymous root
start_vsftpd() {  # NAME PORT anonymous_enable
    # Anonymous off alone leaves no way in, which vsftpd refuses: local users are on
    # (PAM decides, and "anonymous" is no local user: 530 after PAM's failure delay).
    cat >"$T/$1.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$2
background=NO
anonymous_enable=$3
local_enable=$([ "$3" = YES ] && echo NO || echo YES)
write_enable=NO
anon_root=$T/anon
secure_chroot_dir=$T/empty
pam_service_name=vsftpd
seccomp_sandbox=NO
xferlog_enable=NO
EOF
    bg_start /usr/sbin/vsftpd "$T/$1.conf"
}
FTP_ANON=$(free_port)
start_vsftpd anon "$FTP_ANON" YES
FTP_NOANON=$(free_port)
start_vsftpd noanon "$FTP_NOANON" NO
wait_tcp "$FTP_ANON" && wait_tcp "$FTP_NOANON" || skip "vsftpd did not start"

# ---- python3 stand-ins ----------------------------------------------------------------
cat >"$T/fake.py" <<'PY'
# fake.py MODE PORT LOG: serves every connection on 127.0.0.1:PORT as MODE says and
# appends what clients send to LOG.
import socket, sys, threading
mode, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
SAYS = {
    "ssh199": b"SSH-1.99-OldServer\r\n",
    "telnet": b"\xff\xfd\x01login: ",  # IAC DO ECHO, then the prompt
    "http": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "silent": b"",
}
def serve(c):
    try:
        c.sendall(SAYS[mode])
        if mode == "http":  # a web server answers garbage with 400 and hangs up
            return
        c.settimeout(30)
        while data := c.recv(4096):  # until the client goes: it never waits on us
            with lock, open(log, "ab") as f:
                f.write(data)
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
for m in ssh199 telnet http silent; do
    p=$(free_port)
    eval "FAKE_${m^^}=$p"
    bg_start python3 "$T/fake.py" "$m" "$p" "$T/$m.received"
done
for p in "$FAKE_SSH199" "$FAKE_TELNET" "$FAKE_HTTP" "$FAKE_SILENT"; do
    wait_tcp "$p" || skip "python3 stand-in on $p did not start"
done
CLOSED=$(free_port)  # nothing listens here: connections are refused

# ---- the policy: one target per situation, every service port pointed somewhere --------
# Ports a target does not use point at CLOSED, so nothing of this machine's own 21/22/23
# is probed.
target() {  # NAME SSH_PORT SSH_EXPECTED TELNET_PORT FTP_PORT FTP_EXPECTED
    printf '{"address": "127.0.0.1", "name": "%s", "ssh": {"port": %s, "expected": %s},
     "telnet": {"port": %s}, "ftp": {"port": %s, "expected": %s}}' "$@"
}
cat >"$T/policy.json" <<EOF
{"name": "audit_remote test", "targets": [
  $(target sshd "$SSH_PORT" false "$CLOSED" "$CLOSED" false),
  $(target sshd-expected "$SSH_PORT" true "$CLOSED" "$CLOSED" false),
  $(target ssh-closed "$CLOSED" false "$CLOSED" "$CLOSED" false),
  $(target ssh-expected-closed "$CLOSED" true "$CLOSED" "$CLOSED" false),
  $(target ssh-1.99 "$FAKE_SSH199" false "$CLOSED" "$CLOSED" false),
  $(target ssh-http "$FAKE_HTTP" true "$CLOSED" "$CLOSED" false),
  $(target telnetd "$CLOSED" false "$FAKE_TELNET" "$CLOSED" false),
  $(target ftp-anon "$CLOSED" false "$CLOSED" "$FTP_ANON" false),
  $(target ftp-noanon "$CLOSED" false "$CLOSED" "$FTP_NOANON" false),
  $(target ftp-expected "$CLOSED" false "$CLOSED" "$FTP_NOANON" true)
]}
EOF
ONLY=(--only 'ssh.*' --only 'telnet.*' --only 'ftp.*')

# vsftpd answers a refused PASS after PAM's failure delay (about 3 s): a generous timeout.
check_status "findings to report: exit 1" 1 dce-audit --policy "$T/policy.json" "${ONLY[@]}" \
    --timeout 15s >"$T/out.jsonl" 2>"$T/out.err"
validate_records "$T/out.jsonl"
out=$T/out.jsonl

status() {  # TARGET CHECK: the status of that finding ("" when missing, "a,b" when twice)
    jq -rs --arg t "$1" --arg c "$2" \
        '[.[] | select(.check == $c and .target == $t) | .status] | join(",")' "$out"
}
field() {  # TARGET CHECK JQ-PATH
    jq -rs --arg t "$1" --arg c "$2" \
        "[.[] | select(.check == \$c and .target == \$t) | $3] | .[0] // \"\"" "$out"
}
expect() {  # TARGET CHECK STATUS
    check_eq "$1 $2" "$3" "$(status "$1" "$2")"
}

# ssh.off: sshd running and not expected fails, with its banner; closed passes; expected:
# not this check's business (skip).
expect sshd ssh.off fail
check_contains "ssh.off banner" "$(field sshd ssh.off .evidence.banner)" "SSH-2.0-OpenSSH_"
jq_eq "ssh.off fail is high" "$out" \
    '[.[] | select(.check=="ssh.off" and .target=="sshd") | .severity] | .[0]' high
expect ssh-closed ssh.off pass
check_eq "ssh.off closed evidence" closed "$(field ssh-closed ssh.off .evidence.state)"
expect sshd-expected ssh.off skip
expect ssh-expected-closed ssh.off skip
expect ssh-1.99 ssh.off fail

# ssh.protocol2: OpenSSH is 2.0 only, its version in the evidence and the message; the
# 1.99 stand-in fails; a closed port is skipped unless SSH is expected (then a warning);
# something that is not SSH warns, quoting it.
expect sshd ssh.protocol2 pass
expect sshd-expected ssh.protocol2 pass
check_eq "protoversion" "2.0" "$(field sshd ssh.protocol2 .evidence.protoversion)"
check_contains "softwareversion" "$(field sshd ssh.protocol2 .evidence.softwareversion)" "OpenSSH_"
check_contains "version in the message" "$(field sshd ssh.protocol2 .message)" "OpenSSH_"
expect ssh-1.99 ssh.protocol2 fail
check_eq "1.99 protoversion" "1.99" "$(field ssh-1.99 ssh.protocol2 .evidence.protoversion)"
check_eq "1.99 softwareversion" "OldServer" "$(field ssh-1.99 ssh.protocol2 .evidence.softwareversion)"
expect ssh-closed ssh.protocol2 skip
expect ssh-expected-closed ssh.protocol2 warn
check_contains "expected but closed" "$(field ssh-expected-closed ssh.protocol2 .message)" \
    "expected SSH but the port is closed"
expect ssh-http ssh.protocol2 warn
check_contains "not-SSH answer quoted" "$(field ssh-http ssh.protocol2 .message)" "HTTP/1.1 400"
# We said who we are after reading theirs (the stand-in writes it down once it reads it).
for ((i = 0; i < 100; i++)); do [ -s "$T/ssh199.received" ] && break; sleep 0.1; done
check_eq "our identification" 'SSH-2.0-dce-audit\r' "$(tr '\r' '~' <"$T/ssh199.received" | sed 's/~/\\r/')"

# telnet.off: the stand-in's negotiation spelled out and in hex; closed passes.
expect telnetd telnet.off fail
check_eq "telnet negotiation" "IAC DO ECHO" "$(field telnetd telnet.off '.evidence.negotiation[0]')"
check_contains "telnet hex" "$(field telnetd telnet.off .evidence.hex)" "0xfffd016c6f67696e3a"
check_contains "telnet text" "$(field telnetd telnet.off .evidence.text)" "login:"
check_contains "telnet message" "$(field telnetd telnet.off .message)" 'IAC DO ECHO, "login:'
# We answered nothing: no negotiation, no login attempt.
check_eq "nothing sent to telnetd" "" "$(cat "$T/telnet.received" 2>/dev/null)"
expect sshd telnet.off pass

# ftp.off: open fails with vsftpd's 220 banner, unless expected; closed passes.
expect ftp-anon ftp.off fail
expect ftp-noanon ftp.off fail
check_contains "ftp banner" "$(field ftp-anon ftp.off .evidence.banner)" "220 (vsFTPd"
expect ftp-expected ftp.off pass
check_contains "ftp expected banner" "$(field ftp-expected ftp.off .message)" "220 (vsFTPd"
expect sshd ftp.off pass

# ftp.anonymous: accepted fails (220, 331, 230); refused passes (220, 331, 530); closed
# is skipped.
expect ftp-anon ftp.anonymous fail
check_eq "anonymous accepted codes" "220,331,230" "$(field ftp-anon ftp.anonymous '.evidence.codes | map(tostring) | join(",")')"
expect ftp-noanon ftp.anonymous pass
expect ftp-expected ftp.anonymous pass
check_eq "anonymous refused codes" "220,331,530" "$(field ftp-noanon ftp.anonymous '.evidence.codes | map(tostring) | join(",")')"
expect sshd ftp.anonymous skip

# A port that accepts and says nothing: ssh.protocol2 could not run (error, exit 3).
cat >"$T/silent.json" <<EOF
{"targets": [$(target silent "$FAKE_SILENT" true "$CLOSED" "$CLOSED" false)]}
EOF
check_status "no banner: exit 3" 3 dce-audit --policy "$T/silent.json" --only ssh.protocol2 \
    --timeout 2s >"$T/silent.jsonl" 2>/dev/null
validate_records "$T/silent.jsonl"
out=$T/silent.jsonl
expect silent ssh.protocol2 error
check_contains "no banner message" "$(field silent ssh.protocol2 .message)" "no identification string"

# All clean: everything off (or expected and sound) exits 0.
cat >"$T/clean.json" <<EOF
{"targets": [
  $(target clean "$CLOSED" false "$CLOSED" "$CLOSED" false),
  $(target clean-ssh "$SSH_PORT" true "$CLOSED" "$FTP_NOANON" true)
]}
EOF
check_status "all clean: exit 0" 0 dce-audit --policy "$T/clean.json" "${ONLY[@]}" \
    --timeout 15s >"$T/clean.jsonl" 2>/dev/null
validate_records "$T/clean.jsonl"
jq_eq "clean statuses" "$T/clean.jsonl" \
    '[.[] | select(.type == "finding") | .status] | unique | join(",")' "pass,skip"

# --skip sends nothing for the skipped checks: only the telnet finding comes out.
check_status "only telnet" 0 dce-audit --policy "$T/clean.json" --only telnet.off \
    >"$T/only.jsonl" 2>/dev/null
jq_eq "only telnet.off" "$T/only.jsonl" \
    '[.[] | select(.type == "finding") | .check] | unique | join(",")' "telnet.off"

finish
