#!/usr/bin/python3
"""Limits and hostile clients (docs/chat.md, Rules and limits): flood control, slow consumers,
per-IP caps, login/idle/ping timeouts, over-long lines, SIGTERM drain."""

import signal
import socket
import threading
import time
import unittest

from chat_harness import ChatServer, Closed, LabClient


def closed_within(sock, seconds):
    """True when the peer closes sock within seconds (data is discarded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


class Limits(unittest.TestCase):
    def server(self, **env):
        srv = ChatServer(env={k: str(v) for k, v in env.items()}, limits=False)
        self.addCleanup(srv.stop)
        return srv

    def login(self, srv, name, features=None, **kw):
        c = srv.client(**kw)
        self.addCleanup(c.close)
        c.login(name, features)
        return c

    def test_flood_control(self):
        srv = self.server(CHAT_FLOOD_RATE=2, CHAT_FLOOD_BURST=3, CHAT_MAX_CONN_PER_IP=0)
        rx = self.login(srv, "rx")
        tx = self.login(srv, "tx", features=["error"])
        rx.expect_content("SERVER: tx is now online")
        for i in range(10):
            tx.chat(f"m{i}")
        err = tx.recv()
        self.assertEqual(err["type"], "ERROR")
        self.assertEqual(err["code"], "flood")
        tx.expect_quiet(0.3)  # one warning, not one per dropped message
        got = []
        try:
            while True:
                got.append(rx.recv(0.5)["content"])
        except TimeoutError:
            pass
        self.assertEqual(got, ["tx: m0", "tx: m1", "tx: m2"])
        time.sleep(1.1)  # the bucket refills at 2/s
        tx.chat("later")
        rx.expect_content("tx: later")
        self.assertGreaterEqual(srv.metric("chat_flood_dropped_total"), 7)

    def test_slow_consumer_dropped_others_unaffected(self):
        srv = self.server(CHAT_SENDQ_MAX=65536, CHAT_FLOOD_RATE=0, CHAT_MAX_CONN_PER_IP=0)
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", srv.port))
        self.addCleanup(slow.close)
        hello = b'{"type": "HELLO", "name": "slowpoke"}'
        slow.sendall(len(hello).to_bytes(4, "big") + hello)
        fast = self.login(srv, "fast")
        tx = self.login(srv, "sender")
        fast.expect_content("SERVER: sender is now online")
        body = "x" * 4000
        seen = []

        def read_fast():  # the fast client keeps reading all along
            seen.extend(fast.recv_until(
                lambda m: m["content"] == f"sender: 1499 {body}", timeout=60))
        reader = threading.Thread(target=read_fast)
        reader.start()
        start = time.monotonic()
        for i in range(1500):  # ~6 MB: more than any socket buffers hold
            tx.chat(f"{i} {body}")
        reader.join(70)
        self.assertFalse(reader.is_alive())
        contents = [m["content"] for m in seen]
        self.assertIn("SERVER: slowpoke left the chat", contents)
        self.assertEqual([c for c in contents if c.startswith("sender: ")],
                         [f"sender: {i} {body}" for i in range(1500)])
        self.assertLess(time.monotonic() - start, 30)
        self.assertGreaterEqual(srv.metric("chat_slow_consumers_total"), 1)
        self.assertTrue(closed_within(slow, 10))

    def test_per_ip_cap(self):
        srv = self.server(CHAT_MAX_CONN_PER_IP=3)
        clients = [self.login(srv, f"ip{i}") for i in range(3)]
        extra = socket.create_connection(("127.0.0.1", srv.port))
        self.addCleanup(extra.close)
        self.assertTrue(closed_within(extra, 5))
        clients[0].quit()
        clients[0].wait_closed(5)
        time.sleep(0.2)
        self.login(srv, "ip3")  # a slot is free again
        self.assertGreaterEqual(srv.metric("chat_connections_rejected_total"), 1)

    def test_login_timeout(self):
        srv = self.server(CHAT_LOGIN_TIMEOUT=1)
        s = socket.create_connection(("127.0.0.1", srv.port))
        self.addCleanup(s.close)
        start = time.monotonic()
        self.assertTrue(closed_within(s, 5))
        self.assertGreater(time.monotonic() - start, 0.9)

    def test_idle_timeout_without_ping(self):
        srv = self.server(CHAT_IDLE_TIMEOUT=1)
        c = self.login(srv, "idler")
        frames = c.wait_closed(5)
        self.assertIn("SERVER: idle for too long", [f["content"] for f in frames])
        self.assertFalse(any(f["type"] == "PING" for f in frames))

    def test_ping_pong(self):
        srv = self.server(CHAT_PING_INTERVAL=1, CHAT_PING_TIMEOUT=1, CHAT_IDLE_TIMEOUT=1)
        good = self.login(srv, "ponger", features=["ping"])
        bad = self.login(srv, "silent", features=["ping", "error"])
        for _ in range(3):  # answering keeps the connection past idle timeouts
            m = good.recv_until(lambda m: m["type"] == "PING", timeout=5)[-1]
            good.send({"type": "PONG"})
        frames = bad.wait_closed(10)
        self.assertTrue(any(f.get("code") == "timeout" for f in frames), frames)
        good.chat("/who")
        good.recv_until(lambda m: m.get("content", "").startswith("SERVER: users"))

    def test_text_line_too_long(self):
        srv = self.server(CHAT_FRAME_MAX=1024)
        rx = self.login(srv, "rx2")
        t = srv.text()
        self.addCleanup(t.close)
        t.send_line("texter")
        t.expect("CONNECTED USERS: rx2, texter")
        t.send_raw(b"y" * 5000)
        t.send_raw(b"y" * 5000 + b"\nshort one\n")
        self.assertIn("ignored", t.line())
        rx.expect_content("texter: short one")

    def test_frame_over_limit_closes(self):
        srv = self.server(CHAT_FRAME_MAX=1024)
        c = self.login(srv, "big", features=["error"])
        c.chat("z" * 2000)
        frames = c.wait_closed(5)
        self.assertEqual(frames[0]["code"], "too_long")

    def test_sigterm_drains(self):
        srv = self.server(CHAT_DRAIN_TIMEOUT=3, CHAT_SENDQ_MAX=0)
        a = self.login(srv, "drain_a")
        b = self.login(srv, "drain_b")
        a.expect_content("SERVER: drain_b is now online")
        stuck = socket.socket()  # never reads: must not hold up the exit
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", srv.port))
        self.addCleanup(stuck.close)
        hello = b'{"type": "HELLO", "name": "stuck"}'
        stuck.sendall(len(hello).to_bytes(4, "big") + hello)
        for _ in range(200):
            b.chat("x" * 4000)
        time.sleep(0.5)
        start = time.monotonic()
        srv.daemon.signal(signal.SIGTERM)
        frames = a.wait_closed(10)
        self.assertIn("SERVER: the server is shutting down, please reconnect",
                      [f["content"] for f in frames])
        self.assertEqual(srv.daemon.proc.wait(timeout=30), 0)
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn("chat drained", srv.daemon.log())


if __name__ == "__main__":
    unittest.main()
