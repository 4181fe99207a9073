#!/usr/bin/env python3
"""A tiny SNMPv1/v2c agent on 127.0.0.1 for tests of agent quirks real agents lack.

    fake_agent.py PORT_FILE [--reject-bulk] [--rows N] [--community C]

Serves the system group and an ifTable (ifOperStatus, ifDescr) of N rows (default 5).
--reject-bulk answers every GETBULK with genErr (the broken firmware that makes a walk
fall back to GETNEXT); GET and GETNEXT work. Writes the UDP port it bound to PORT_FILE
and counts requests by PDU type in PORT_FILE.stats (one "type count" a line).
Loopback only; stdlib only (no pysnmp)."""
import socket
import sys

# ---- BER ---------------------------------------------------------------------------


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + enc_len(len(body)) + body


def enc_int(v, tag=0x02):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(tag, v.to_bytes(n, "big", signed=True))


def enc_uint(v, tag):
    b = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    if b[0] & 0x80:
        b = b"\x00" + b
    return tlv(tag, b)


def enc_oid(oid):
    arcs = list(oid)
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def dec(buf, i):
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def dec_seq(body):
    items, i = [], 0
    while i < len(body):
        tag, val, i = dec(body, i)
        items.append((tag, val))
    return items


def dec_oid(b):
    arcs = [b[0] // 40, b[0] % 40]
    v = 0
    for c in b[1:]:
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            arcs.append(v)
            v = 0
    return tuple(arcs)


# ---- the MIB ---------------------------------------------------------------------------


def mib(rows):
    m = {
        (1, 3, 6, 1, 2, 1, 1, 1, 0): ("s", b"fake agent for dce-tools tests"),
        (1, 3, 6, 1, 2, 1, 1, 2, 0): ("o", (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)),
        (1, 3, 6, 1, 2, 1, 1, 3, 0): ("t", 123400),
        (1, 3, 6, 1, 2, 1, 1, 5, 0): ("s", b"fake"),
    }
    for r in range(1, rows + 1):
        m[(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, r)] = ("s", b"port%d" % r)
        m[(1, 3, 6, 1, 2, 1, 2, 2, 1, 8, r)] = ("i", 1 if r % 2 else 2)
    return m


def enc_value(kind, v):
    if kind == "s":
        return tlv(0x04, v)
    if kind == "o":
        return enc_oid(v)
    if kind == "t":
        return enc_uint(v, 0x43)
    return enc_int(v)


def main():
    port_file = sys.argv[1]
    reject_bulk = "--reject-bulk" in sys.argv
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 5
    community = (sys.argv[sys.argv.index("--community") + 1].encode()
                 if "--community" in sys.argv else b"public")
    data = mib(rows)
    order = sorted(data)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    stats = {}
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)

    def after(oid):
        for o in order:
            if o > oid:
                return o
        return None

    while True:
        pkt, peer = s.recvfrom(65535)
        try:
            _, msg, _ = dec(pkt, 0)
            (_, ver), (_, comm), (ptype, pdu) = dec_seq(msg)
            if comm != community:
                continue
            (_, rid), (_, f1), (_, f2), (_, vbl) = dec_seq(pdu)
            oids = [dec_oid(dec_seq(vb)[0][1]) for _, vb in dec_seq(vbl)]
        except Exception:
            continue
        name = {0xA0: "get", 0xA1: "getnext", 0xA5: "getbulk"}.get(ptype, hex(ptype))
        stats[name] = stats.get(name, 0) + 1
        with open(port_file + ".stats", "w") as f:
            f.writelines("%s %d\n" % kv for kv in sorted(stats.items()))
        err, idx, out = 0, 0, []
        if ptype == 0xA5 and reject_bulk:
            err, idx = 5, 1  # genErr
            out = [(o, b"\x05\x00") for o in oids]
        elif ptype == 0xA0:
            for o in oids:
                out.append((o, enc_value(*data[o]) if o in data else b"\x80\x00"))
        elif ptype == 0xA1:
            for o in oids:
                n = after(o)
                out.append((n, enc_value(*data[n])) if n else (o, b"\x82\x00"))
        elif ptype == 0xA5:
            nonrep, maxrep = int.from_bytes(f1, "big"), int.from_bytes(f2, "big")
            cur = list(oids[nonrep:])
            for _ in range(max(1, maxrep)):
                for k, o in enumerate(cur):
                    n = after(o)
                    out.append((n, enc_value(*data[n])) if n else (o, b"\x82\x00"))
                    cur[k] = n or o
        else:
            continue
        vbs = b"".join(tlv(0x30, enc_oid(o) + v) for o, v in out)
        resp = tlv(0xA2, tlv(0x02, rid) + enc_int(err) + enc_int(idx) + tlv(0x30, vbs))
        s.sendto(tlv(0x30, tlv(0x02, ver) + tlv(0x04, comm) + resp), peer)


if __name__ == "__main__":
    main()
