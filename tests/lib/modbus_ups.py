#!/usr/bin/env python3
"""The lab's Modbus TCP Smart-UPS: the APC register map (../shared/REFERENCE.md, "APC
Smart-UPS over Modbus") with realistic values, a gateway of several unit ids, and faults
on demand. Plain asyncio with its own small Modbus TCP framing (MBAP, functions 1-4,
0x11 Report Server ID, 0x2B/0x0E Read Device Identification, exception replies): a test
tool whose every byte we control. pymodbus 3.0's server cannot leave one unit id
unanswered, answer with a wrong transaction id or drop a connection after N replies;
tests check this server against mbpoll and pymodbus's client instead.

    modbus_ups.py --port P [--host 127.0.0.1] [--units 1,2,3] [--dead-unit N]...
                  [--fault exception:130-131:2] [--fault delay:SECONDS[:N]]
                  [--fault drop-after:N] [--fault wrong-tid:N]

The map (holding registers, function 3; input registers, function 4, read the same
words; coils and discrete inputs, functions 1 and 2, read the bits of those words, bit
16*A+b being bit b of register A). Addresses are zero-based, words big-endian, 32-bit
values most significant word first, strings two characters a register (high byte
first, NUL padded):
    0-1   status bit field (uint32): bit 1 online        -> 2
    128-129 runtime seconds (uint32)                      -> 2400
    130   battery charge %, /512                          -> 100 %
    131   battery voltage, /32 (int16)                    -> 54.6 V
    135   battery temperature C, /128 (int16)             -> 28.5 C
    136   load %, /256                                    -> 37 %
    140   output current A, /32                           -> 5.2 A
    142   output voltage V, /64                           -> 230.1 V
    144   output frequency Hz, /128                       -> 50.0 Hz
    151   input voltage V, /64 (0xFFFF: not available)    -> 229.8 V
    516   firmware, 8 registers                           -> "UPS 15.5"
    532   model, 16 registers                             -> "Smart-UPS SRT 3000"
    564   serial, 8 registers                             -> "AS1234567890" (unit 1;
          unit U ends in 1234567890 + U - 1)
    588   VA rating -> 3000;  589 W rating -> 2700
Every other address below 1024 reads 0; a read reaching 1024 or beyond gets exception 2
(illegal data address), a count of 0 or over 125 registers (2000 bits) exception 3.

Unit ids: each of --units (default 1) is a device with its own registers. A --dead-unit
never answers: its requests are read and dropped, the connection stays open and other
units' requests on it are answered. Any other unit id gets exception 0x0B (gateway
target device failed to respond), as a gateway does.

Faults (--fault, repeatable):
    exception:A-B:CODE   a read (functions 1-4) touching registers A..B (inclusive; for
                         coils and inputs, the registers holding the bits) is answered
                         with exception CODE
    delay:S[:N]          the first N replies (default: every reply) are sent S seconds
                         late; the connection's next request waits behind it, as on a
                         real serial gateway
    drop-after:N         every connection is closed after its Nth reply
    wrong-tid:N          the server's Nth request (counted from 1 over all connections)
                         is answered twice: first a stray reply with another transaction
                         id and wrong values (every register 0x7FFF), then the right one
The counts of requests, replies, dropped requests, delayed replies and connections
accepted are printed to stderr on SIGUSR1
and when the server stops. The line "modbus_ups: listening on HOST:PORT" on stderr says
it is ready.
"""
import argparse
import asyncio
import ipaddress
import signal
import struct
import sys

SIZE = 1024  # registers per unit
VENDOR = "Schneider Electric"
PRODUCT_CODE = "SRT3000XLI"
REVISION = "UPS 15.5"
VENDOR_URL = "http://www.apc.com"
PRODUCT_NAME = "Smart-UPS"
MODEL = "Smart-UPS SRT 3000"

EXC_NAMES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
             4: "server device failure", 0x0B: "gateway target device failed to respond"}


def put_string(regs, addr, count, text):
    raw = text.encode("ascii")[: count * 2].ljust(count * 2, b"\0")
    for i in range(count):
        regs[addr + i] = (raw[2 * i] << 8) | raw[2 * i + 1]


def put_u32(regs, addr, value):
    regs[addr] = (value >> 16) & 0xFFFF
    regs[addr + 1] = value & 0xFFFF


def ups_registers(unit):
    regs = [0] * SIZE
    put_u32(regs, 0, 1 << 1)  # status: online
    put_u32(regs, 128, 2400)  # runtime, s
    regs[130] = round(100 * 512)  # charge %
    regs[131] = round(54.6 * 32) & 0xFFFF  # battery V (int16)
    regs[135] = round(28.5 * 128) & 0xFFFF  # battery temperature C (int16)
    regs[136] = round(37 * 256)  # load %
    regs[140] = round(5.2 * 32)  # output A
    regs[142] = round(230.1 * 64)  # output V
    regs[144] = round(50.0 * 128)  # output Hz
    regs[151] = round(229.8 * 64)  # input V
    put_string(regs, 516, 8, REVISION)
    put_string(regs, 532, 16, MODEL)
    put_string(regs, 564, 8, "AS%d" % (1234567890 + unit - 1))
    regs[588] = 3000  # VA rating
    regs[589] = 2700  # W rating
    return regs


def parse_units(text):
    units = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            units.extend(range(int(a), int(b) + 1))
        elif part:
            units.append(int(part))
    for u in units:
        if not 0 <= u <= 255:
            raise argparse.ArgumentTypeError("unit id %d out of 0-255" % u)
    return units


def parse_fault(text):
    kind, _, rest = text.partition(":")
    try:
        if kind == "exception":
            rng, code = rest.split(":")
            a, _, b = rng.partition("-")
            return ("exception", int(a), int(b or a), int(code, 0))
        if kind == "delay":
            secs, _, n = rest.partition(":")
            return ("delay", float(secs), int(n) if n else None)
        if kind in ("drop-after", "wrong-tid"):
            n = int(rest)
            if n < 1:
                raise ValueError
            return (kind, n)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        "bad fault %r (exception:A-B:CODE, delay:S[:N], drop-after:N, wrong-tid:N)" % text)


class Ups:
    def __init__(self, units, dead, faults):
        self.units = {u: ups_registers(u) for u in units}
        self.dead = set(dead)
        self.exceptions = [f[1:] for f in faults if f[0] == "exception"]
        self.delay = next((f[1:] for f in faults if f[0] == "delay"), None)
        self.drop_after = next((f[1] for f in faults if f[0] == "drop-after"), None)
        self.wrong_tid = next((f[1] for f in faults if f[0] == "wrong-tid"), None)
        self.requests = self.replies = self.dropped = self.delayed = self.connections = 0

    def stats(self):
        print("modbus_ups: %d requests, %d replies, %d dropped (dead unit), %d delayed, %d connections"
              % (self.requests, self.replies, self.dropped, self.delayed, self.connections),
              file=sys.stderr, flush=True)

    @staticmethod
    def exception(fc, code):
        return bytes([fc | 0x80, code])

    def read(self, regs, fc, pdu, stray):
        if len(pdu) != 5:
            return self.exception(fc, 3)
        addr, count = struct.unpack(">HH", pdu[1:5])
        bits = fc in (1, 2)
        if count < 1 or count > (2000 if bits else 125):
            return self.exception(fc, 3)
        end = addr + count  # exclusive, in bits or registers
        first, last = (addr // 16, (end - 1) // 16) if bits else (addr, end - 1)
        if last >= SIZE:
            return self.exception(fc, 2)
        for a, b, code in self.exceptions:
            if first <= b and last >= a:
                return self.exception(fc, code)
        if bits:
            out = bytearray((count + 7) // 8)
            for i in range(count):
                bit = addr + i
                word = 0x7FFF if stray else regs[bit // 16]
                if (word >> (bit % 16)) & 1:
                    out[i // 8] |= 1 << (i % 8)
            return bytes([fc, len(out)]) + bytes(out)
        words = [0x7FFF] * count if stray else regs[addr:end]
        return bytes([fc, count * 2]) + struct.pack(">%dH" % count, *words)

    @staticmethod
    def device_id(pdu):
        # Read Device Identification: basic (1), regular (2), extended (3: none beyond
        # regular here) or one object (4). Everything fits one reply.
        if len(pdu) != 4 or pdu[1] != 0x0E:
            return Ups.exception(0x2B, 3)
        code, obj = pdu[2], pdu[3]
        objects = [VENDOR, PRODUCT_CODE, REVISION, VENDOR_URL, PRODUCT_NAME, MODEL]
        if code == 4:
            if obj >= len(objects):
                return Ups.exception(0x2B, 2)
            ids = [obj]
        elif code in (1, 2, 3):
            top = 3 if code == 1 else len(objects)
            start = obj if obj < top else 0
            ids = list(range(start, top))
        else:
            return Ups.exception(0x2B, 3)
        body = b"".join(bytes([i, len(objects[i])]) + objects[i].encode() for i in ids)
        # Conformity 0x82: regular identification, stream and individual access.
        return bytes([0x2B, 0x0E, code, 0x82, 0x00, 0x00, len(ids)]) + body

    def answer(self, unit, pdu, stray=False):
        """The reply PDU for one request, or None for no reply (a dead unit)."""
        if unit in self.dead:
            return None
        fc = pdu[0]
        if unit not in self.units:
            return self.exception(fc, 0x0B)
        if fc in (1, 2, 3, 4):
            return self.read(self.units[unit], fc, pdu, stray)
        if fc == 0x2B:
            return self.device_id(pdu)
        if fc == 0x11:
            data = b"\x01\xff" + ("APC %s" % MODEL).encode()
            return bytes([0x11, len(data)]) + data
        return self.exception(fc & 0x7F, 1)

    async def serve(self, reader, writer):
        replies_here = 0
        self.connections += 1
        try:
            while True:
                head = await reader.readexactly(7)
                tid, proto, length, unit = struct.unpack(">HHHB", head)
                if length < 2 or length > 254:
                    break  # not Modbus TCP: hang up, as devices do
                pdu = await reader.readexactly(length - 1)
                self.requests += 1
                n = self.requests
                reply = self.answer(unit, pdu)
                if reply is None:
                    self.dropped += 1
                    continue
                if self.delay and (self.delay[1] is None or self.delayed < self.delay[1]):
                    self.delayed += 1
                    await asyncio.sleep(self.delay[0])
                if self.wrong_tid == n:
                    stray = self.answer(unit, pdu, stray=True)
                    writer.write(struct.pack(">HHHB", (tid + 0x5A5A) & 0xFFFF, proto,
                                             len(stray) + 1, unit) + stray)
                writer.write(struct.pack(">HHHB", tid, proto, len(reply) + 1, unit) + reply)
                await writer.drain()
                self.replies += 1
                replies_here += 1
                if self.drop_after and replies_here >= self.drop_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--units", type=parse_units, default=[1])
    ap.add_argument("--dead-unit", type=int, action="append", default=[])
    ap.add_argument("--fault", type=parse_fault, action="append", default=[])
    args = ap.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        ap.error("--host must be a loopback address (127.x.y.z)")
    ups = Ups(args.units, args.dead_unit, args.fault)
    server = await asyncio.start_server(ups.serve, args.host, args.port, reuse_address=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, ups.stats)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    print("modbus_ups: listening on %s:%d" % (args.host, args.port), file=sys.stderr, flush=True)
    async with server:
        await stop
    ups.stats()


if __name__ == "__main__":
    asyncio.run(main())
