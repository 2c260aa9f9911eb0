#!/usr/bin/python3
"""Chat names that look alike share one key (lib/namekey.h, docs/chat.md
"Names"): two users cannot hold look-alikes on one replica, across replicas,
or at the back end; invisible characters and SERVER look-alikes are refused."""

import unittest
import uuid

from chat_harness import ChatServer
from parley_harness import RpcClient, backend, shared_services

CYR_A = "\u0410"        # Cyrillic capital А
CYR_E = "\u0415"        # Cyrillic capital Е
FULL_A = "\uff21"       # fullwidth Ａ


class Names(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = shared_services()
        cls.backends = backend(cls.services, replicas=1, test="chat_names")
        cls.a, cls.b = [ChatServer(amqp_url=cls.services.amqp_url, name=f"names-{i}")
                        for i in range(2)]
        cls.rpc = RpcClient(cls.services.amqp_url, role="chat")

    @classmethod
    def tearDownClass(cls):
        cls.rpc.close()
        for srv in (cls.a, cls.b):
            srv.stop()

    def client(self, server):
        cl = server.client()
        self.addCleanup(cl.close)
        return cl

    def refused(self, cl, name, code, fragment):
        cl.hello(name, features=["error"])
        msg = cl.recv()
        self.assertEqual((msg["type"], msg["code"]), ("ERROR", code), (name, msg))
        self.assertIn(fragment, msg["content"])

    def test_lookalikes_taken_on_both_replicas(self):
        tag = uuid.uuid4().hex[:6]
        self.client(self.a).login(f"Alice{tag}")
        for i, srv in enumerate((self.a, self.b)):
            cl = self.client(srv)
            for name in (f"{CYR_A}lice{tag}", f"{FULL_A}LICE{tag}", f"alice{tag}"):
                self.refused(cl, name, "name_taken", "taken")
            cl.login(f"bob{i}{tag}", features=["error"])
            cl.chat(f"/nick {CYR_A}lice{tag}")
            # Presence from the other replica may arrive first.
            err = cl.recv_until(lambda m: m["type"] == "ERROR")[-1]
            self.assertEqual(err["code"], "name_taken")
            cl.quit()

    def test_lookalikes_racing_on_two_replicas_one_wins(self):
        """Sent at once, before presence crosses: the back end's key decides."""
        for _ in range(3):
            tag = uuid.uuid4().hex[:6]
            names = [f"ivan{tag}", f"\u0406van{tag}", f"\uff49van{tag}", f"IVAN{tag}"]
            clients = [self.client(srv) for srv in (self.a, self.b) for _ in names]
            for i, cl in enumerate(clients):
                cl.hello(names[i % len(names)], features=["error"])
            wins = [cl.recv()["type"] for cl in clients].count("WELCOME")
            self.assertEqual(wins, 1)
            for cl in clients:
                cl.close()

    def test_invisible_and_reserved_refused(self):
        cl = self.client(self.b)
        for name, fragment in [("Al\u00adice", "invisible"), ("Alice\ufe0f", "invisible"),
                               ("Alice\U000e0041", "invisible"), ("Al\u200dice", "invisible"),
                               ("Al\u200bice", "invisible"), ("\u202eecilA", "direction"),
                               ("\u0301Alice", "combining"),
                               (f"SERV{CYR_E}R", "reserved"), ("\uff33ERVER", "reserved")]:
            self.refused(cl, name, "name_invalid", fragment)
        welcome, _ = cl.login("Caf\u00e9")          # letters beyond ASCII are fine
        self.assertEqual(welcome["content"], "Welcome Caf\u00e9! You can now start to chat!")

    def test_backend_computes_the_key(self):
        tag = uuid.uuid4().hex[:6]

        def claim(name, owner):
            return self.rpc.call("CHAT_CLAIM", {"owner": owner, "token": "t", "name": name,
                                                "ttl_s": 30})
        self.assertTrue(claim(f"alice{tag}", "o1")["success"])
        for name in (f"{CYR_A}lice{tag}", f"{FULL_A}lice{tag}", f"ALICE{tag}"):
            reply = claim(name, "o2")
            self.assertEqual((reply["success"], reply.get("taken")), (False, True), name)
        reply = claim(f"SERV{CYR_E}R", "o2")
        self.assertEqual((reply["success"], reply["code"]), (False, "reserved"))
        reply = claim("Al\u00adice" + tag, "o2")
        self.assertEqual((reply["success"], reply["code"]), (False, "invalid"))
        # Releasing a look-alike of the name releases it (same key, same token).
        self.assertTrue(self.rpc.call("CHAT_RELEASE", {"name": f"{FULL_A}lice{tag}",
                                                       "token": "t"})["success"])
        self.assertTrue(claim(f"{CYR_A}lice{tag}", "o2")["success"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
