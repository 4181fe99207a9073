#!/usr/bin/env bash
# dce-audit's port checks against a host behind a real firewall: two network namespaces
# (client, server) joined by a veth pair on a /30 that exists only inside them, so no
# packet reaches a real network. The server namespace runs listeners and nftables rules
# that make every state the checks tell apart: open, closed (RST from the kernel and
# from `reject with tcp reset`), filtered (dropped), unreachable (ICMP admin-prohibited),
# and for UDP open (answered), closed (ICMP port unreachable) and no answer (dropped).
# Needs root (CI runs as root).
. "$(dirname "$0")/../lib/common.sh"
need jq ip nft
[ "$(id -u)" = 0 ] || skip "network namespaces need root"

client=dce-audit-c-$$
server=dce-audit-s-$$
trap '_dce_cleanup; ip netns del "$client" 2>/dev/null; ip netns del "$server" 2>/dev/null' EXIT
ip netns add "$client" && ip netns add "$server" || skip "cannot create network namespaces"
# The /30 is private to the two namespaces; the third octet varies so that a leftover
# from another run is never mistaken for this one.
net=10.254.$(($$ % 250))
ip -n "$client" link add "dcec$$" type veth peer name "dces$$" netns "$server"
ip -n "$client" addr add "$net.2/30" dev "dcec$$"
ip -n "$server" addr add "$net.1/30" dev "dces$$"
for ns in "$client" "$server"; do ip -n "$ns" link set lo up; done
ip -n "$client" link set "dcec$$" up
ip -n "$server" link set "dces$$" up

# Listeners behind the rules too: a port that is rejected or dropped by the firewall
# while a service listens is the case the handbook's check is about.
cat >"$T/server.py" <<'PY'
import select, socket, sys
tcp = []
for port in (443, 21, 23, 502):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16); tcp.append(s)
udp = []
for port in (161, 123, 53, 5000):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port)); udp.append(u)
open(sys.argv[1], "w").write("ready\n")
while True:
    r, _, _ = select.select(tcp + udp, [], [])
    for s in r:
        if s in tcp:
            c, _ = s.accept(); c.close()
        else:
            data, peer = s.recvfrom(65536); s.sendto(data, peer)  # echo: an answer
PY
cat >"$T/rules.nft" <<'NFT'
table inet dce_audit_test {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 23 drop
        tcp dport 21 reject with tcp reset
        tcp dport 502 reject with icmpx type admin-prohibited
        udp dport 123 reject
        udp dport { 53, 5000 } drop
    }
}
NFT
ip netns exec "$server" nft -f "$T/rules.nft" || skip "nftables does not work here"
bg_start ip netns exec "$server" /usr/bin/python3 "$T/server.py" "$T/ready"
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
check_eq "server ready" ready "$(cat "$T/ready" 2>/dev/null)"

cat >"$T/policy.json" <<JSON
{
  "targets": [
    {"address": "$net.1", "name": "fw",
     "ports": {"open": ["tcp/443", "udp/161", "tcp/23", "udp/123"],
               "denied": ["tcp/443", "tcp/23", "tcp/21", "tcp/80", "tcp/502",
                          "udp/161", "udp/123", "udp/53", "udp/5000"]}}
  ]
}
JSON
ip netns exec "$client" dce-audit --policy "$T/policy.json" --only 'ports.*' --timeout 3s \
    >"$T/out.jsonl" 2>"$T/err"
check_eq "exit status: a denied port is open" 1 "$?"
validate_records "$T/out.jsonl"

# state and status of one finding: CHECK TARGET-SUFFIX
finding() {
    jq -rs --arg c "$1" --arg t "fw $2" \
        '[.[] | select(.check == $c and .target == $t)] |
         if length == 1 then .[0] | "\(.evidence.state) \(.status)" else "\(length) findings" end' \
        "$T/out.jsonl"
}
check_eq "open: tcp/443" "open pass" "$(finding ports.open tcp/443)"
check_eq "open: udp/161 answered" "open pass" "$(finding ports.open udp/161)"
check_eq "open: tcp/23 dropped" "filtered fail" "$(finding ports.open tcp/23)"
check_eq "open: udp/123 rejected" "closed fail" "$(finding ports.open udp/123)"
check_eq "denied: tcp/443 open" "open fail" "$(finding ports.denied tcp/443)"
check_eq "denied: tcp/23 dropped" "filtered pass" "$(finding ports.denied tcp/23)"
check_eq "denied: tcp/21 reset by the firewall" "closed pass" "$(finding ports.denied tcp/21)"
check_eq "denied: tcp/80 nothing listening" "closed pass" "$(finding ports.denied tcp/80)"
check_eq "denied: tcp/502 admin-prohibited" "unreachable pass" "$(finding ports.denied tcp/502)"
check_eq "denied: udp/161 answered" "open fail" "$(finding ports.denied udp/161)"
check_eq "denied: udp/123 port unreachable" "closed pass" "$(finding ports.denied udp/123)"
# Silence to a DNS query is "not served"; silence on a port without a known protocol
# cannot be told from a service that ignored the probe.
check_eq "denied: udp/53 dropped" "no answer pass" "$(finding ports.denied udp/53)"
check_eq "denied: udp/5000 dropped" "no answer warn" "$(finding ports.denied udp/5000)"
jq_eq "evidence names the probe" "$T/out.jsonl" \
    '.[] | select(.target == "fw udp/53") | .evidence.probe' DNS
jq_eq "a failure carries the check's severity" "$T/out.jsonl" \
    '.[] | select(.check == "ports.denied" and .target == "fw tcp/443") | .severity' high
jq_eq "every finding is about the namespace's host" "$T/out.jsonl" \
    '[.[] | .target | split(" ")[0]] | unique | join(",")' fw
finish
