"""Slowloris drill (issue 11 item 2): a front end (no RabbitMQ needed: only
pages that call nothing are fetched) against N connections from 16 loopback
addresses that trickle one header line every --every seconds and reconnect
whenever they are closed.  Meanwhile a fresh client from another address
fetches /login once a second.  Prints the fresh client's time to answer
before and during the attack, how many attacking connections were held
open, and the front end's own counts of closed connections."""
import argparse
import http.client
import os
import re
import selectors
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "harness"))
import parley_harness as h  # noqa: E402

SOURCES = [f"127.0.0.{i}" for i in range(2, 18)]


def fresh(port, timeout=5.0):
    """Seconds for GET /login from a fresh address, or None when refused
    or unanswered within timeout."""
    start = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                       source_address=("127.0.0.200", 0))
        c.request("GET", "/login")
        r = c.getresponse()
        r.read()
        c.close()
        return time.monotonic() - start if r.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None


class Attack:
    def __init__(self, port, n, every, sources):
        self.port, self.n, self.every, self.sources = port, n, every, sources
        self.sel = selectors.DefaultSelector()
        self.socks = {}          # socket -> next send time
        self.opened = self.closed = self.refused = 0
        self.stop = False

    def open_one(self, i):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2,
                                         source_address=(self.sources[i % len(self.sources)], 0))
            s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
        except OSError:
            self.refused += 1
            return
        self.opened += 1
        self.socks[s] = time.monotonic() + self.every
        self.sel.register(s, selectors.EVENT_READ)

    def drop(self, s):
        self.sel.unregister(s)
        del self.socks[s]
        s.close()
        self.closed += 1

    def run(self):
        i = 0
        while not self.stop:
            while len(self.socks) < self.n and not self.stop:
                self.open_one(i)
                i += 1
                if self.refused and len(self.socks) < self.n and i % 64 == 0:
                    break           # at the server's limit: retry next round
            for key, _ in self.sel.select(timeout=0.2):
                try:
                    if key.fileobj.recv(4096) == b"":
                        self.drop(key.fileobj)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.drop(key.fileobj)
            now = time.monotonic()
            for s, due in list(self.socks.items()):
                if due <= now:
                    try:
                        s.send(b"X-%d: y\r\n" % int(now))
                        self.socks[s] = now + self.every
                    except OSError:
                        self.drop(s)
        for s in list(self.socks):
            self.drop(s)


def closed_counts(admin_port):
    try:
        body = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=5)
        body.request("GET", "/metrics")
        text = body.getresponse().read().decode()
    except OSError:
        return "n/a (no admin port)"
    return ", ".join(f"{k}={v}" for k, v in re.findall(
        r'parley_http_connections_closed_total\{reason="([a-z-]+)"\} (\d+)', text)) or "none"


def scenario(name, env, args):
    port, admin = h.free_port(), h.free_port()
    e = {"AMQP_URL": "amqp://nobody:none@127.0.0.1:1", "PORT": str(port),
         "ADMIN_PORT": str(admin), "SESSION_SECRET": "drill-" + "x" * 40,
         "LOG_LEVEL": "warn"}
    e.update(env)
    d = h.Daemon("front-end", env=e, log_name="front-end-" + name, test="bench_slowloris")
    try:
        d.wait_http(port, path="/healthz")
        before = [fresh(port) for _ in range(5)]
        sources = SOURCES if env.get("HTTP_MAX_CONN_PER_IP") != "0" else SOURCES[:1]
        atk = Attack(port, args.conns, args.every, sources)
        t = threading.Thread(target=atk.run, daemon=True)
        t.start()
        time.sleep(args.ramp)
        during, held = [], []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            held.append(len(atk.socks))
            during.append(fresh(port))
            time.sleep(1)
        atk.stop = True
        t.join(30)
        ok = [x for x in during if x is not None]
        fmt = lambda xs: f"{max(xs) * 1e3:.1f}" if xs else "-"   # noqa: E731
        print(f"{name:<34} {len(sources):>4} {fmt([x for x in before if x]):>10} "
              f"{(statistics.median(ok) * 1e3 if ok else float('nan')):>10.1f} "
              f"{fmt(ok):>9} {len(during) - len(ok):>3}/{len(during):<3} "
              f"{min(held):>5}..{max(held):<5} {atk.opened:>7}  {closed_counts(admin)}")
        sys.stdout.flush()
    finally:
        d.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--every", type=float, default=10.0, help="seconds between header lines")
    ap.add_argument("--seconds", type=float, default=30.0, help="fresh-client probes, one a second")
    ap.add_argument("--ramp", type=float, default=5.0, help="seconds to open the attack first")
    args = ap.parse_args()
    print(f"{args.conns} trickling connections (a header line every {args.every:g} s, "
          f"reconnecting when closed); a fresh client GET /login once a second for "
          f"{args.seconds:g} s")
    print(f"{'scenario':<34} {'addr':>4} {'idle max':>10} {'atk median':>10} "
          f"{'atk max':>9} {'unanswered':>7} {'held':>12} {'opened':>7}  closed by the front end")
    print(f"{'':<34} {'':>4} {'ms':>10} {'ms':>10} {'ms':>9}")
    scenario("defaults (16 addresses)", {}, args)
    scenario("per-address cap off (1 address)", {"HTTP_MAX_CONN_PER_IP": "0"}, args)


if __name__ == "__main__":
    main()
