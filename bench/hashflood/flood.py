#!/usr/bin/python3
"""The hash-flood drill (bench/hashflood/run).

300 keep-alive connections from 5 loopback addresses post /register with
fresh addresses as fast as they are answered for 8 s (each registration
that gets through costs one Argon2id hash), while a real user, from a 6th
address and without a device cookie, logs in every 0.2 s.  The attacker
runs in its own process at nice 15 (asyncio, one connection per task): its
CPU stands for other machines', and this one has only a few cores.  Printed: the
real log-in's status counts, median and worst latency before, during and
after the flood, and the registrations' status counts.  Goal: every real
log-in 303 in under 1 s.

--no-throttle turns the registration throttle off (REGISTER_*=0), leaving
only the hasher's split between log-ins and registrations.  --bin runs the
daemons of another build (e.g. one of main before issue 11) the same way.
"""
import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
sys.path.insert(0, os.path.join(ROOT, "tests", "frontend"))
import parley_harness as h  # noqa: E402
import fe_client as fc  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def flood_conn(port, source, deadline, results, cookie, tok):
    """One keep-alive connection posting /register until deadline."""
    reader = writer = None
    while time.monotonic() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(source, 0))
            body = urlencode({"email": f"flood{uuid.uuid4().hex[:16]}@example.com",
                              "password": "flood password " + uuid.uuid4().hex[:8],
                              "csrf_token": tok}).encode()
            writer.write(b"POST /register HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Cookie: " + cookie.encode() + b"\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            status = int(head.split(b" ", 2)[1])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
                elif k.strip().lower() == b"connection" and b"close" in v.lower():
                    close = True
            await reader.readexactly(length)
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                asyncio.LimitOverrunError, ValueError, IndexError):
            status = "error"
            if writer is not None:
                writer.close()
            writer = None
        results[status] += 1
    if writer is not None:
        writer.close()


def flood_process(port, sources, conns, seconds, out):
    """The attacker, in its own process at low priority: its CPU stands for
    machines elsewhere, not for the server's."""
    os.nice(15)
    creds = []
    for src in sources:
        b = fc.Browser(port, source=src)
        tok = b.token("/register")
        creds.append(("parley_csrf=" + b.cookies["parley_csrf"], tok))
    results = Counter()

    async def run():
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(flood_conn(port, sources[i % len(sources)], deadline,
                                          results, *creds[i % len(sources)])
                               for i in range(conns)))
    asyncio.run(run())
    out.put(dict(results))


def login_once(port, source, mail, pw):
    b = fc.Browser(port, source=source)
    tok = b.token("/login")
    t = time.monotonic()
    try:
        status = b.post("/login", {"email": mail, "password": pw, "csrf_token": tok}).status
    except OSError:
        status = "error"
    return status, time.monotonic() - t


def phase(name, port, mail, pw, seconds, source):
    rows, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        rows.append(login_once(port, source, mail, pw))
        time.sleep(0.2)
    lat = [r[1] for r in rows]
    st = Counter(r[0] for r in rows)
    print(f"  real log-in {name:7s}: {len(rows):3d} tries, status {dict(st)}, "
          f"median {statistics.median(lat) * 1000:6.0f} ms, worst {max(lat) * 1000:6.0f} ms",
          flush=True)
    return st, max(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--conns", type=int, default=300)
    ap.add_argument("--no-throttle", action="store_true")
    ap.add_argument("--bin", help="bin/ of the build to drill (default PARLEY_BIN)")
    args = ap.parse_args()
    if args.bin:
        os.environ["PARLEY_BIN"] = h.BIN = os.path.abspath(args.bin)
    env = {"HTTP_MAX_CONN_PER_IP": "0", "LOG_LEVEL": "warn"}
    if args.no_throttle:
        env.update({"REGISTER_IP_MAX_ATTEMPTS": "0", "REGISTER_MAX_ATTEMPTS": "0"})
    print(f"machine: {os.cpu_count()} cores; daemons {os.environ.get('PARLEY_BIN')}; "
          f"registration throttle {'off' if args.no_throttle else 'default'}", flush=True)
    services = h.private_services()
    backend = h.backend(services, replicas=1, test="bench_hashflood")[0]
    fe = fc.frontend(services, test="bench_hashflood", env=env)
    try:
        mail, pw = fc.email("real"), fc.password()
        assert fc.Browser(fe.port).register(mail, pw).status == 303
        me = "127.0.0.200"
        phase("before", fe.port, mail, pw, 3, me)
        sources = [f"127.0.0.{10 + i}" for i in range(5)]
        out = multiprocessing.Queue()
        t0 = time.monotonic()
        attacker = multiprocessing.Process(target=flood_process, args=(
            fe.port, sources, args.conns, args.seconds, out))
        attacker.start()
        time.sleep(1)       # let the connections open
        st, worst = phase("during", fe.port, mail, pw, args.seconds - 1, me)
        results = out.get(timeout=120)
        attacker.join(60)
        flood_s = time.monotonic() - t0
        phase("after", fe.port, mail, pw, 3, me)
        print(f"  registrations over {flood_s:.1f} s from {len(sources)} addresses, "
              f"{args.conns} connections: {dict(results)} "
              f"(303 = account created, 429 = throttled, 503 = hasher share full)")
        ok = set(st) == {303} and worst < 1.0
        print(f"  goal (every real log-in 303 in < 1 s during the flood): "
              f"{'met' if ok else 'NOT met'}")
    finally:
        fe.stop()
        backend.stop()


if __name__ == "__main__":
    main()
