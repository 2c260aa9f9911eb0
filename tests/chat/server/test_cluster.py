#!/usr/bin/python3
"""Several chat-server replicas as one chat through RabbitMQ, names and
history through the back end (docs/chat.md, Several replicas)."""

import time
import unittest

from chat_harness import ChatServer, drain, wait_users
from parley_harness import backend, shared_services, wait_for


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = shared_services()
        cls.backends = backend(cls.services, replicas=1)
        cls.replicas = [ChatServer(amqp_url=cls.services.amqp_url, name=f"chat-{i}")
                        for i in range(3)]
        cls.a, cls.b, cls.c = cls.replicas

    @classmethod
    def tearDownClass(cls):
        for srv in cls.replicas:
            srv.stop()

    def login(self, server, name, features=None):
        cl = server.client()
        self.addCleanup(cl.close)
        cl.login(name, features)
        return cl

    def test_messages_presence_and_who_cross_replicas(self):
        room = "/join xr1"
        alice = self.login(self.a, "alice_x1")
        alice.chat(room)
        drain(alice)
        bob = self.login(self.b, "bob_x1")
        bob.chat(room)
        first = bob.recv()
        self.assertEqual(first["content"], "SERVER: you are now in xr1 with: alice_x1, bob_x1")
        alice.expect_content("SERVER: bob_x1 joined the room")
        bob.chat("hello across")
        alice.expect_content("bob_x1: hello across")
        alice.chat("hi back")
        bob.expect_content("alice_x1: hi back")
        carol = self.login(self.c, "carol_x1")
        carol.chat(room)
        drain(carol)
        for cl in (alice, bob, carol):
            wait_users(cl, {"alice_x1", "bob_x1", "carol_x1"})
        carol.quit()
        alice.expect_content("SERVER: carol_x1 left the chat")
        bob.expect_content("SERVER: carol_x1 left the chat")
        bob.chat("/rooms")
        self.assertIn("xr1 (2)", bob.recv()["content"])

    def test_names_unique_across_cluster(self):
        self.login(self.a, "Unique_x2")
        other = self.b.client()
        self.addCleanup(other.close)
        other.hello("unique_X2", features=["error"])
        self.assertEqual(other.recv()["code"], "name_taken")
        other.login("unique_y2", features=["error"])
        # /nick to a name held on another replica is refused too.  The
        # other replica's "is now online" may still be on its way (load).
        other.chat("/nick UNIQUE_x2")
        self.assertEqual(other.recv_until(lambda m: "code" in m)[-1]["code"], "name_taken")

    def test_concurrent_claims_one_winner(self):
        clients = []
        for srv in self.replicas * 3:
            cl = srv.client()
            self.addCleanup(cl.close)
            clients.append(cl)
        for cl in clients:
            cl.hello("racer_x3", features=["error"])
        wins = sum(1 for cl in clients if cl.recv()["type"] == "WELCOME")
        self.assertEqual(wins, 1)

    def test_private_message_crosses(self):
        alice = self.login(self.a, "alice_x4")
        bob = self.login(self.c, "bob_x4")
        for cl in (alice, bob):
            cl.chat("/join pm4")
        wait_users(bob, {"alice_x4", "bob_x4"})
        alice.chat("/join lobby")  # private messages reach any room
        drain(alice)
        bob.chat("/msg ALICE_x4 psst")
        alice.expect_content("bob_x4 (private): psst")
        bob.chat("/msg nobody_x4 hello?")
        bob.recv_until(lambda m: m["content"] == "SERVER: no user named nobody_x4")

    def test_history_same_everywhere_and_survives_restart(self):
        writer = self.login(self.a, "writer_x5")
        writer.chat("/join hist5")
        drain(writer)
        for i in range(60):
            writer.chat(f"line {i}")
        time.sleep(1.0)  # appends are batched (20 ms) and stored by the back end
        views = []
        for i, srv in enumerate(self.replicas):
            cl = self.login(srv, f"reader_x5_{i}", features=["meta"])
            cl.chat("/join hist5")
            got = drain(cl, 0.5)
            views.append([m["content"] for m in got if m.get("history")])
        self.assertEqual(len(views[0]), 50)
        self.assertEqual(views[0][0], "writer_x5: line 10")
        self.assertEqual(views[0][-1], "writer_x5: line 59")
        self.assertEqual(views[0], views[1])
        self.assertEqual(views[0], views[2])
        self.b.restart()
        cl = self.login(self.b, "reader_x5_after", features=["meta"])
        cl.chat("/join hist5")
        got = [m["content"] for m in drain(cl, 0.5) if m.get("history")]
        self.assertEqual(got, views[0])

    def test_joins_leaves_renames_racing(self):
        room = "/join race6"
        watchers = [self.login(srv, f"watch6_{i}") for i, srv in enumerate(self.replicas)]
        for w in watchers:
            w.chat(room)
            drain(w, 0.1)
        churn = []
        for round_ in range(3):
            for i, srv in enumerate(self.replicas):
                cl = srv.client()
                self.addCleanup(cl.close)
                cl.login(f"churn6_{round_}_{i}")
                cl.chat(room)
                churn.append(cl)
        for k, cl in enumerate(churn):
            if k % 3 == 0:
                cl.quit()
            elif k % 3 == 1:
                cl.chat(f"/nick renamed6_{k}")
        expected = {f"watch6_{i}" for i in range(3)}
        for k, cl in enumerate(churn):
            if k % 3 == 1:
                expected.add(f"renamed6_{k}")
            elif k % 3 == 2:
                expected.add(f"churn6_{k // 3}_{k % 3}")
        for w in watchers:
            drain(w, 0.1)
            wait_users(w, expected, timeout=15)

    def test_many_clients_per_sender_order(self):
        room = "/join many7"
        clients = []
        for i in range(90):
            srv = self.replicas[i % 3]
            cl = srv.client()
            self.addCleanup(cl.close)
            cl.login(f"many7_{i}")
            cl.chat(room)
            clients.append(cl)
        wait_users(clients[0], {f"many7_{i}" for i in range(90)}, timeout=30)
        for cl in clients:
            drain(cl, 0.05)
        senders = clients[:6]
        for k in range(10):
            for s in senders:
                s.chat(f"n{k}")
        for i, cl in enumerate(clients):
            got = []
            want = 10 * (len(senders) - (1 if cl in senders else 0))
            while len(got) < want:
                m = cl.recv(10)["content"]
                if not m.startswith("SERVER"):
                    got.append(m)
            for j, s in enumerate(senders):
                mine = [m for m in got if m.startswith(f"many7_{j}: ")]
                if s is cl:
                    self.assertEqual(mine, [])
                else:
                    self.assertEqual(mine, [f"many7_{j}: n{k}" for k in range(10)])


if __name__ == "__main__":
    unittest.main()
