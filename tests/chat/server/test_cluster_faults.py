#!/usr/bin/python3
"""Cluster faults with private RabbitMQ/PostgreSQL: broker restart (local
chat goes on, cross-replica delivery resumes by itself, no duplicates), a
replica killed (its users leave, its names free up after the lease), and
the back end stopped (log-in and join at once, messages flow)."""

import signal
import time
import unittest

from chat_harness import ChatServer, drain, wait_users
from parley_harness import backend, private_services, wait_for


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = private_services()
        cls.backends = backend(cls.services, replicas=1)

    def replicas(self, n, **env):
        out = []
        for i in range(n):
            srv = ChatServer(amqp_url=self.services.amqp_url, name=f"{self._testMethodName}-{i}",
                             env={k: str(v) for k, v in env.items()})
            self.addCleanup(srv.stop)
            out.append(srv)
        return out

    def login(self, srv, name, room=None):
        c = srv.client()
        self.addCleanup(c.close)
        c.login(name, ["meta"])
        if room:
            c.chat(f"/join {room}")
            drain(c, 0.1)
        return c

    def test_broker_restart(self):
        a, b = self.replicas(2)
        alice = self.login(a, "alice_f1", "f1")
        carol = self.login(a, "carol_f1", "f1")
        bob = self.login(b, "bob_f1", "f1")
        wait_users(alice, {"alice_f1", "bob_f1", "carol_f1"})
        drain(carol)
        self.services.rabbitmq.stop()
        # Local chat keeps working while the broker is away.
        alice.chat("while down")
        self.assertEqual(carol.recv(5)["content"], "alice_f1: while down")
        self.services.rabbitmq.start()
        a.daemon.wait_http(a.admin_port, timeout=60)
        b.daemon.wait_http(b.admin_port, timeout=60)
        drain(alice)
        drain(carol)
        drain(bob)
        # Cross-replica delivery resumes by itself.
        n = 0

        def crossed():
            nonlocal n
            n += 1
            bob.chat(f"probe {n}")
            try:
                got = alice.recv_until(lambda m: m["content"].startswith("bob_f1: probe"), 1)
                return got
            except TimeoutError:
                return None
        wait_for(crossed, 60, "bob's messages to reach alice again", interval=0.2)
        drain(alice, 1.0)
        bob.chat("exactly once")
        got = [m["content"] for m in drain(alice, 1.0)]
        self.assertEqual(got.count("bob_f1: exactly once"), 1, got)
        wait_users(alice, {"alice_f1", "bob_f1", "carol_f1"})
        wait_users(bob, {"alice_f1", "bob_f1", "carol_f1"})

    def test_replica_killed(self):
        a, b = self.replicas(2, CHAT_NAME_TTL=5)
        alice = self.login(a, "alice_f2", "f2")
        bob = self.login(b, "bob_f2", "f2")
        wait_users(alice, {"alice_f2", "bob_f2"})
        drain(alice)
        b.daemon.kill()
        alice.expect_content("SERVER: bob_f2 left the chat", timeout=30)
        # The lease runs out after CHAT_NAME_TTL; then the name is free.
        deadline = time.monotonic() + 30
        while True:
            c = a.client()
            self.addCleanup(c.close)
            c.hello("bob_f2")
            if c.recv()["type"] == "WELCOME":
                break
            c.close()
            self.assertLess(time.monotonic(), deadline, "name never freed")
            time.sleep(0.5)

    def test_clean_stop_frees_names_at_once(self):
        a, b = self.replicas(2)
        erin = self.login(a, "erin_f3", "f3")
        self.login(b, "dave_f3", "f3")
        wait_users(erin, {"erin_f3", "dave_f3"})
        drain(erin)
        start = time.monotonic()
        self.assertEqual(b.stop(), 0)
        # The drain announces the leave at once, not after the 10 s expiry.
        erin.expect_content("SERVER: dave_f3 left the chat", timeout=5)
        self.assertLess(time.monotonic() - start, 10)
        c = a.client()
        self.addCleanup(c.close)
        welcome, _ = c.login("dave_f3")
        self.assertEqual(welcome["type"], "WELCOME")

    def test_history_survives_back_end_outage(self):
        (a,) = self.replicas(1)
        writer = self.login(a, "writer_f4", "f4")
        for be in self.backends:
            be.stop()
        try:
            for i in range(5):
                writer.chat(f"during outage {i}")
            time.sleep(1.0)
        finally:
            for be in self.backends:
                be.start()
                be.wait_http(be.admin_port)

        def replayed():
            c = a.client()
            try:
                c.login(f"reader_f4_{time.monotonic_ns()}", ["meta"])
                c.chat("/join f4")
                got = [m["content"] for m in drain(c, 0.5) if m.get("history")]
            finally:
                c.close()
            return got if got[-5:] == [f"writer_f4: during outage {i}"
                                       for i in range(5)] else None
        # Batches that failed are retried: the outage loses nothing.
        wait_for(replayed, 30, "history to include the outage's messages",
                 interval=0.5)

    def test_chat_without_back_end(self):
        # A heartbeat every CHAT_NAME_TTL / 3 s: the replica notices soon.
        (a,) = self.replicas(1, CHAT_NAME_TTL=5)
        early = self.login(a, "early_f5", "f5")
        for be in self.backends:
            be.stop()
        try:
            wait_for(lambda: a.metric("chat_store_up") == 0, 15,
                     "the replica to notice that the back end is gone")
            start = time.monotonic()
            alice = self.login(a, "alice_f5")
            logged_in = time.monotonic() - start
            alice.chat("/join f5")
            alice.expect_content("SERVER: you are now in f5 with: early_f5, alice_f5")
            alice.expect_content("SERVER: the history of f5 is not available right now")
            joined = time.monotonic() - start
            # Before: the lease and the history each waited 2 s for the RPC.
            self.assertLess(logged_in, 0.5)
            self.assertLess(joined, 0.5)
            drain(early)
            early.chat("no store needed")
            alice.expect_content("early_f5: no store needed", timeout=1)
            alice.chat("indeed")
            early.expect_content("alice_f5: indeed", timeout=1)
            # Names stay unique on this replica meanwhile.
            dup = a.client()
            self.addCleanup(dup.close)
            dup.hello("ALICE_f5", ["error"])
            self.assertEqual(dup.recv(2).get("code"), "name_taken")
        finally:
            for be in self.backends:
                be.start()
                be.wait_http(be.admin_port)
        wait_for(lambda: a.metric("chat_store_up") == 1, 15,
                 "the replica to use the back end again")
        # The name given out meanwhile gets its lease once the store is back.
        wait_for(lambda: self.services.postgres.query(
            "SELECT 1 FROM chat_names WHERE name_key = 'alice_f5' "
            "AND lease_until > now()"), 10, "alice_f5's lease")

    def test_slow_back_end_history_follows(self):
        (a,) = self.replicas(1)
        writer = self.login(a, "writer_f6", "f6")
        writer.chat("said before")
        listener = self.login(a, "listener_f6", "f6")
        # History is stored (the listener's join replays it) before we freeze the back end.
        wait_for(lambda: any(m.get("history") and m["content"] == "writer_f6: said before"
                             for m in self._join_once(a, "f6")), 10, "the history to be stored")
        late = self.login(a, "late_f6", ["meta"])
        # Frozen, not gone: the history call is answered, late (under the 2 s timeout).
        for be in self.backends:
            be.signal(signal.SIGSTOP)
        try:
            start = time.monotonic()
            late.chat("/join f6")
            late.recv_until(lambda m: m["content"].startswith("SERVER: you are now in f6"))
            # The room goes on without the history (it waits 300 ms at most).
            writer.chat("while frozen")
            late.expect_content("writer_f6: while frozen", timeout=2)
            self.assertLess(time.monotonic() - start, 1.5)
            drain(listener)
        finally:
            for be in self.backends:
                be.signal(signal.SIGCONT)
        # When it comes, the history follows: what was said before the join only.
        got = late.recv_until(lambda m: m.get("history") and
                              m["content"] == "writer_f6: said before", timeout=10)
        self.assertNotIn("writer_f6: while frozen",
                         [m["content"] for m in got + drain(late, 0.5) if m.get("history")])

    def _join_once(self, srv, room):
        c = srv.client()
        try:
            c.login(f"probe_{time.monotonic_ns()}", ["meta"])
            c.chat(f"/join {room}")
            return drain(c, 0.5)
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
