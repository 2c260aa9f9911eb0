#!/usr/bin/python3
"""ctest bench_chat_smoke: chat-bench still works, so bench/chat/run does not
rot.  A few seconds: fan-out (fixed rate and saturation) and idle over both
protocols against one replica with both listeners; every delivery must
arrive, the WebSocket runs must really be WebSocket (the replica's
handshake counter), and a refused handshake must fail the tool."""

import os
import subprocess
import unittest

from chat_harness import ChatServer
from parley_harness import free_port

BIN = os.environ.get("PARLEY_BIN", os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "build", "bin"))
ORIGIN = "http://localhost:8080"


def bench(*args):
    out = subprocess.run([os.path.join(BIN, "chat-bench"), *map(str, args)],
                         capture_output=True, text=True, timeout=120)
    res = dict(kv.partition("=")[::2] for kv in out.stdout.split())
    return out.returncode, res, out.stderr


class BenchSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws_port = free_port()
        cls.srv = ChatServer(env={"CHAT_WS_PORT": str(cls.ws_port), "CHAT_WS_ORIGINS": ORIGIN,
                                  "CHAT_HISTORY": "0"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def args(self, proto):
        if proto == "ws":
            return ["--ws", "--port", self.ws_port, "--origin", ORIGIN]
        return ["--port", self.srv.port]

    def test_fanout(self):
        for proto in ("framed", "ws"):
            for rate in (40, 0):
                with self.subTest(proto=proto, rate=rate):
                    before = self.srv.metric("chat_ws_handshakes_total") or 0
                    rc, r, err = bench("fanout", *self.args(proto), "--clients", 12,
                                       "--senders", 3, "--rate", rate, "--window", 8,
                                       "--duration", 1, "--pid", self.srv.daemon.proc.pid)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(r["protocol"], "websocket" if proto == "ws" else "framed")
                    self.assertGreater(int(r["p99_us"]), 0)
                    self.assertGreater(float(r["deliveries_per_s"]), 0)
                    self.assertEqual(r["missing"], "0")
                    self.assertIn("server_cpu_ns_per_delivery", r)
                    handshakes = (self.srv.metric("chat_ws_handshakes_total") or 0) - before
                    self.assertEqual(handshakes, 12 if proto == "ws" else 0)

    def test_idle(self):
        for proto in ("framed", "ws"):
            with self.subTest(proto=proto):
                rc, r, err = bench("idle", *self.args(proto), "--clients", 50,
                                   "--pid", self.srv.daemon.proc.pid)
                self.assertEqual(rc, 0, err)
                self.assertEqual(r["idle_clients"], "50")
                self.assertGreater(int(r["server_rss_after_kb"]), 0)

    def test_refused_origin(self):
        rc, _, err = bench("fanout", "--ws", "--port", self.ws_port, "--origin",
                           "http://elsewhere.invalid", "--clients", 2, "--senders", 1,
                           "--duration", 1)
        self.assertNotEqual(rc, 0)
        self.assertIn("handshake refused", err)


if __name__ == "__main__":
    unittest.main()
