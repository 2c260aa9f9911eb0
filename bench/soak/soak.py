#!/usr/bin/python3
"""Soak (run by hand: bench/soak/run [--minutes N]).

Starts private RabbitMQ + PostgreSQL, two back ends, a front end and two
chat-server replicas natively, and drives mixed load for N minutes (default
30): registrations and log-ins through the front end, and chat messages in
several rooms across both replicas, with chat clients reconnecting now and
then.  Samples resident memory (VmRSS) and open descriptors of every daemon
after a warm-up minute, every five minutes, and at the end, and prints a
Markdown table.  Growth beyond the warm-up points to a leak.
"""
import argparse
import os
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for sub in (("tests", "harness"), ("tests", "frontend"), ("tests", "chat", "server")):
    sys.path.insert(0, os.path.join(ROOT, *sub))
import parley_harness as h  # noqa: E402
import fe_client as fc  # noqa: E402
from chat_harness import ChatServer  # noqa: E402
from lab_client import Closed  # noqa: E402

# Today's names; keep them here so the RPC queue / per-daemon users are easy
# to adapt (the daemons take their credentials from AMQP_URL).
ROOMS = [f"soak{i}" for i in range(4)]
CLIENTS_PER_ROOM_PER_REPLICA = 2
CHAT_INTERVAL = 0.25          # s between messages of one client
ACCOUNT_INTERVAL = 0.5        # s between register+log-in rounds
WARMUP = 60                   # s before the first sample
SAMPLE_EVERY = 300            # s

stop = threading.Event()
lock = threading.Lock()
counts = {"register_ok": 0, "login_ok": 0, "account_fail": 0, "chat_sent": 0,
          "chat_recv": 0, "chat_reconnects": 0, "chat_errors": 0}


def bump(key, n=1):
    with lock:
        counts[key] += n


def proc_stats(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def accounts(port):
    while not stop.is_set():
        try:
            mail, pw = fc.email("soak"), fc.password()
            b = fc.Browser(port)
            if b.register(mail, pw).status == 303:
                bump("register_ok")
            else:
                bump("account_fail")
            b = fc.Browser(port)
            if b.login(mail, pw).status == 303:
                bump("login_ok")
            else:
                bump("account_fail")
        except Exception:
            bump("account_fail")
        stop.wait(ACCOUNT_INTERVAL)


def chatter(server, room, idx):
    """One chat user: join, send every CHAT_INTERVAL, reconnect every ~minute."""
    n = 0
    while not stop.is_set():
        cl = None
        try:
            cl = server.client()
            cl.login(f"s{idx}_{uuid.uuid4().hex[:6]}")
            cl.chat(f"/join {room}")
            reader = threading.Thread(target=drain, args=(cl,), daemon=True)
            reader.start()
            until = time.monotonic() + 50 + idx % 20
            while not stop.is_set() and time.monotonic() < until:
                n += 1
                cl.chat(f"m{n}")
                bump("chat_sent")
                stop.wait(CHAT_INTERVAL)
            cl.quit()
            reader.join(10)
            bump("chat_reconnects")
        except Exception:
            bump("chat_errors")
            stop.wait(1)
        finally:
            if cl is not None:
                cl.close()


def drain(cl):
    try:
        while True:
            msg = cl.recv(timeout=30)
            if msg.get("type") == "BYE":
                return
            bump("chat_recv")
    except (Closed, TimeoutError, OSError):
        return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    args = ap.parse_args()
    total = args.minutes * 60
    services = h.private_services()
    daemons = {}
    for i, d in enumerate(h.backend(services, replicas=2, test="soak",
                                    env={"LOG_LEVEL": "warn"})):
        daemons[f"back-end-{i}"] = d
    fe = fc.frontend(services, test="soak", env={"LOG_LEVEL": "warn"})
    daemons["front-end"] = fe
    chats = [ChatServer(amqp_url=services.amqp_url, name=f"chat-server-{i}",
                        env={"LOG_LEVEL": "warn"}) for i in range(2)]
    for i, c in enumerate(chats):
        daemons[f"chat-server-{i}"] = c.daemon

    threads = [threading.Thread(target=accounts, args=(fe.port,), daemon=True)]
    idx = 0
    for room in ROOMS:
        for c in chats:
            for _ in range(CLIENTS_PER_ROOM_PER_REPLICA):
                threads.append(threading.Thread(target=chatter, args=(c, room, idx),
                                                daemon=True))
                idx += 1
    start = time.monotonic()
    for t in threads:
        t.start()
    print(f"soak: {total / 60:.0f} min, {len(threads) - 1} chat users in {len(ROOMS)} rooms "
          f"on 2 replicas, accounts every {ACCOUNT_INTERVAL}s", flush=True)

    samples = []   # (elapsed s, {name: (rss KiB, fds)}, counts)
    next_at = WARMUP
    while True:
        now = time.monotonic() - start
        if now >= next_at or now >= total:
            for name, d in daemons.items():
                if not d.alive():
                    sys.exit(f"soak: {name} died; see its log in tests/artifacts/soak")
            snap = {name: proc_stats(d.proc.pid) for name, d in daemons.items()}
            with lock:
                c = dict(counts)
            samples.append((now, snap, c))
            print(f"t={now:6.0f}s " + " ".join(f"{n}={v[0]}KiB/{v[1]}fd" for n, v in snap.items())
                  + " " + " ".join(f"{k}={v}" for k, v in c.items()), flush=True)
            if now >= total:
                break
            next_at = min(next_at + SAMPLE_EVERY, total)
        time.sleep(min(1.0, max(0.05, next_at - now)))
    stop.set()
    for t in threads:
        t.join(15)

    first, last = samples[0], samples[-1]
    print()
    print(f"| daemon | RSS at {first[0]:.0f} s (KiB) | RSS at {last[0]:.0f} s (KiB) | change | "
          f"fds at {first[0]:.0f} s | fds at {last[0]:.0f} s | RSS min–max over samples |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in daemons:
        r0, f0 = first[1][name]
        r1, f1 = last[1][name]
        rs = [s[1][name][0] for s in samples]
        print(f"| {name} | {r0} | {r1} | {r1 - r0:+d} | {f0} | {f1} | {min(rs)}–{max(rs)} |")
    c = last[2]
    print()
    print(f"load over {last[0]:.0f} s: {c['register_ok']} registrations, {c['login_ok']} log-ins, "
          f"{c['account_fail']} account failures, {c['chat_sent']} chat messages sent, "
          f"{c['chat_recv']} frames received, {c['chat_reconnects']} chat reconnects, "
          f"{c['chat_errors']} chat errors")
    for d in daemons.values():
        d.stop()


if __name__ == "__main__":
    main()
