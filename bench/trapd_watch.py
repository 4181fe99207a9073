#!/usr/bin/env python3
"""bench/trapd_watch.py: watches one trap receiver's output while bench/trapd.sh sends to it.

    trapd_watch.py OUT MARKER PID PORT DONE_FILE [--stats] [--quiet S] [--timeout S]

Reads OUT as it grows and counts the lines holding MARKER (one per delivered trap),
noting on CLOCK_MONOTONIC when the count first and last grew; samples the receiver's
VmRSS (PID) each second. DONE_FILE appears when the sender has finished and holds the
number it sent. The receiver is taken to be done once its count has not grown for
--quiet seconds (default 1), its socket's receive queue (/proc/net/udp, PORT) is empty
and, with --stats (dce-trapd), its latest "type":"stats" line accounts for every
datagram sent (received + dropped_kernel >= sent); or after --timeout seconds (default
60) from the sender's end. Prints one JSON object: events, first, last (seconds), rate
(events per second between the first and the last), rss_kb (samples), kernel_drops and
rx_queue (the socket's, from /proc/net/udp, read before the receiver is stopped), the
latest stats record, and timed_out.
"""
import json
import os
import sys
import time


def udp_socket(port):
    """(rx_queue bytes, drops) of the socket bound to 127.0.0.1:port, or None."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                p = line.split()
                if p[1] == want:
                    return int(p[4].split(":")[1], 16), int(p[-1])
    except OSError:
        pass
    return None


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    args = sys.argv[1:]
    out, marker, pid, port, done_file = args[0], args[1].encode(), int(args[2]), int(args[3]), args[4]
    want_stats = "--stats" in args
    quiet = float(args[args.index("--quiet") + 1]) if "--quiet" in args else 1.0
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 60.0

    events, first, last = 0, None, None
    stats = None
    rss = []
    next_rss = time.monotonic()
    sent, sent_at = None, None
    pos, carry = 0, b""
    timed_out = False
    while True:
        now = time.monotonic()
        if now >= next_rss:
            r = rss_kb(pid)
            if r is not None:
                rss.append(r)
            next_rss += 1.0
        try:
            with open(out, "rb") as f:
                f.seek(pos)
                chunk = f.read(64 << 20)
        except OSError:
            chunk = b""
        if chunk:
            pos += len(chunk)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            data = data[:cut]
            n = data.count(marker)
            if n:
                events += n
                first = first if first is not None else now
                last = now
            if want_stats:
                s = data.rfind(b'"type":"stats"')
                if s >= 0:
                    b = data.rfind(b"\n", 0, s) + 1
                    e = data.find(b"\n", s)
                    try:
                        stats = json.loads(data[b:e])
                    except ValueError:
                        pass
        if sent is None and os.path.exists(done_file):
            with open(done_file) as f:
                txt = f.read().strip()
            if txt:
                sent, sent_at = int(txt), now
        if sent is not None:
            sock = udp_socket(port)
            idle = now - (last if last is not None else sent_at) >= quiet and now - sent_at >= quiet
            drained = sock is None or sock[0] == 0
            counted = not want_stats or (
                stats is not None and stats.get("received", 0) + stats.get("dropped_kernel", 0) >= sent)
            if idle and drained and counted:
                break
            if now - sent_at > timeout:
                timed_out = True
                break
        if not chunk or len(chunk) < (64 << 20):
            time.sleep(0.02)
    sock = udp_socket(port)
    rate = events / (last - first) if first is not None and last > first else None
    print(json.dumps({
        "events": events, "first": first, "last": last, "rate": rate, "rss_kb": rss,
        "rx_queue": sock[0] if sock else None, "kernel_drops": sock[1] if sock else None,
        "stats": stats, "timed_out": timed_out,
    }))


if __name__ == "__main__":
    main()
