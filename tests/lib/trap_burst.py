#!/usr/bin/env python3
"""trap_burst.py HOST PORT COMMUNITY COUNT [GARBAGE]: sends COUNT SNMPv2c traps (an APC
upsOnBattery with a sequence number varbind) as fast as the socket takes them, then
GARBAGE datagrams that are not SNMP. Prints the number of datagrams sent. A test sender
for dce-trapd's accounting: whatever the receiver drops must be counted."""
import socket
import sys


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


def integer(v, tag=0x02):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(tag, b)


def oid(text):
    arcs = [int(a) for a in text.strip(".").split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.insert(0, 0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(chunk)
    return tlv(0x06, bytes(out))


def trap(community, seq):
    vbs = b"".join([
        tlv(0x30, oid("1.3.6.1.2.1.1.3.0") + integer(12345, 0x43)),
        tlv(0x30, oid("1.3.6.1.6.3.1.1.4.1.0") + oid("1.3.6.1.4.1.318.0.5")),
        tlv(0x30, oid("1.3.6.1.4.1.318.2.3.3.0") +
            tlv(0x04, b"UPS: On battery power in response to an input power problem.")),
        tlv(0x30, oid("1.3.6.1.4.1.99999.1.0") + integer(seq)),
    ])
    pdu = tlv(0xA7, integer(seq) + integer(0) + integer(0) + tlv(0x30, vbs))
    return tlv(0x30, integer(1) + tlv(0x04, community.encode()) + pdu)


def main():
    host, port, community, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    garbage = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    for i in range(count):
        while True:
            try:
                s.sendto(trap(community, i), (host, port))
                sent += 1
                break
            except BlockingIOError:
                continue
    for i in range(garbage):
        s.sendto(b"\x30\x82\xff\xffnot snmp at all %d" % i, (host, port))
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
