#!/usr/bin/python3
"""The chat bus is untrusted input (SPEC §3.5, docs/threat-model.md "The chat
bus"): messages forged with the chat servers' own RabbitMQ credentials, as
anyone holding them could publish, are validated like text from a client."""

import json
import re
import time
import unittest
import uuid

import pika

from chat_harness import ChatServer, drain
from parley_harness import (AMQP_USERS, RpcClient, amqp_url_as, backend,
                            shared_services, wait_for)

EXCHANGE = "parley.chat"
CHAT_USER = AMQP_USERS["chat"]


class Bus:
    """A publisher on the chat bus (chat credentials by default)."""

    def __init__(self, url, role="chat"):
        params = pika.URLParameters(amqp_url_as(url, role))
        self.conn = pika.BlockingConnection(params)
        self.ch = self.conn.channel()
        self.bytes = 0

    def send(self, key, msg, user_id=CHAT_USER, message_id=None):
        body = json.dumps(msg).encode()
        self.bytes += len(body)
        props = pika.BasicProperties(user_id=user_id, message_id=message_id)
        self.ch.basic_publish(EXCHANGE, key, body, props)

    def next_heartbeat(self, origin, timeout=10):
        """The next heartbeat origin publishes (read as anyone with the
        chat credentials can): its body and message_id."""
        q = self.ch.queue_declare("parley.chat.t-" + uuid.uuid4().hex[:8],
                                  exclusive=True, auto_delete=True).method.queue
        self.ch.queue_bind(q, EXCHANGE, "presence")
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                method, props, body = self.ch.basic_get(q, auto_ack=True)
                if method is None:
                    time.sleep(0.05)
                    continue
                msg = json.loads(body)
                if msg.get("k") == "hb" and msg.get("o") == origin:
                    return msg, props.message_id
            raise TimeoutError(f"no heartbeat from {origin}")
        finally:
            self.ch.queue_delete(q)

    def close(self):
        self.conn.close()


class Origin:
    """A made-up replica: presence events with consecutive numbers."""

    def __init__(self, bus):
        self.bus = bus
        self.id = uuid.uuid4().hex[:16]
        self.q = 0

    def presence(self, kind, **fields):
        self.q += 1
        self.bus.send("presence", dict(k=kind, o=self.id, q=self.q, **fields))

    def join(self, room, name):
        self.presence("join", r=room, n=name, first=False)


def who(client):
    client.chat("/who")
    msgs = client.recv_until(lambda m: m.get("content", "").startswith("SERVER: users in"))
    return {u.strip() for u in msgs[-1]["content"].split(": ", 2)[2].split(",")}


def rooms(client):
    client.chat("/rooms")
    msgs = client.recv_until(lambda m: m.get("content", "").startswith("SERVER: rooms:"))
    return msgs[-1]["content"]


class BusTrust(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = shared_services()
        cls.backends = backend(cls.services, replicas=1)
        cls.a = ChatServer(amqp_url=cls.services.amqp_url, name="chat-bus-a")
        cls.b = ChatServer(amqp_url=cls.services.amqp_url, name="chat-bus-b")
        cls.bus = Bus(cls.services.amqp_url)

    @classmethod
    def tearDownClass(cls):
        cls.bus.close()
        # A clean exit: under PARLEY_SANITIZE, LeakSanitizer finds nothing.
        for srv in (cls.a, cls.b):
            rc = srv.stop()
            if rc != 0:
                raise AssertionError(f"chat-server exited with {rc}")

    def login(self, server, name, room):
        cl = server.client()
        self.addCleanup(cl.close)
        cl.login(name, ["meta"])
        cl.chat(f"/join {room}")
        drain(cl, 0.2)
        return cl

    def marker(self, origin, room, watcher, expected):
        """A valid forged join, seen by watcher: everything published before
        it has been handled (one queue, in order)."""
        name = f"mark_{uuid.uuid4().hex[:8]}"
        origin.join(room, name)
        wait_for(lambda: name in who(watcher), 10, f"{name} in /who")
        return who(watcher) - {name} - expected

    def bad(self, server):
        return server.metric("chat_bus_malformed_total") or 0

    def test_long_room_names_refused_not_leaked(self):
        room = "b1" + "a" * 30       # the longest valid name
        alice = self.login(self.a, "alice_b1", room)
        o = Origin(self.bus)
        before = self.bad(self.a)
        for i in range(5):
            o.join(room + "a" * 68, f"ghost_b1_{i}")
        # Before: each forged join made a room under alice's room's key
        # (names cut to 32), replacing it in the registry and losing the old
        # one (~95 B each; LSan reports them at exit): the marker joined a
        # room alice was no longer in.
        self.assertEqual(self.marker(o, room, alice, {"alice_b1"}), set())
        self.assertIn(f"{room} (2)", rooms(alice))
        self.assertGreaterEqual(self.bad(self.a) - before, 5)

    def test_names_checked_like_clients(self):
        alice = self.login(self.a, "alice_b2", "b2")
        o = Origin(self.bus)
        for name in ("SERVER", "ev\u0007il_b2", "x" * 40, "two words", ""):
            o.join("b2", name)
        o.join("b2", "nick_b2")
        o.presence("nick", r="b2", n="nick_b2", nn="SERVER")
        self.assertEqual(self.marker(o, "b2", alice, {"alice_b2"}), {"nick_b2"})

    def test_text_escaped_and_bounded(self):
        alice = self.login(self.a, "alice_b3", "b3")
        o = Origin(self.bus)
        o.join("b3", "mallory_b3")
        self.marker(o, "b3", alice, {"alice_b3", "mallory_b3"})
        drain(alice, 0.2)
        # Over the limit; on a key that is not its room's; then fine.
        for q, key, content in ((101, "room.b3", "x" * 20000), (102, "presence", "wrong key"),
                                (103, "room.b3", "\u001b[2Jwiped")):
            self.bus.send(key, {"k": "msg", "o": o.id, "r": "b3", "q": q, "p": 0,
                                "f": "mallory_b3", "c": content, "ts": 1})
        got = alice.recv_until(lambda m: "wiped" in m.get("content", ""))
        self.assertEqual([m["content"] for m in got if m.get("from") == "mallory_b3"],
                         ["mallory_b3: \\x1b[2Jwiped"])
        rid = replica_id(self.a)
        self.bus.send(f"replica.{rid}", {"k": "pm", "o": o.id, "f": "mallory_b3",
                                         "to": "alice_b3", "c": "\u0007\u009bpst",
                                         "ts": 1})
        pm = alice.recv_until(lambda m: m.get("private"))[-1]
        self.assertEqual(pm["content"], "mallory_b3 (private): \\x07\\u009bpst")
        self.assertEqual(alice.expect_quiet(0.3), None)

    def test_no_posing_as_known_users(self):
        alice = self.login(self.a, "alice_b4", "b4")
        bob = self.login(self.b, "bob_b4", "b4")
        wait_for(lambda: who(alice) == {"alice_b4", "bob_b4"}, 10, "bob on a")
        drain(alice, 0.2)
        o = Origin(self.bus)
        o.join("b4", "mallory_b4")
        for q, name in ((10, "bob_b4"), (11, "alice_b4")):
            self.bus.send("room.b4", {"k": "msg", "o": o.id, "r": "b4", "q": q,
                                      "f": name, "c": "i am " + name, "ts": 1})
            o.presence("leave", r="b4", n=name, quit=True)
        self.bus.send("room.b4", {"k": "msg", "o": o.id, "r": "b4", "q": 12,
                                  "f": "mallory_b4", "c": "end", "ts": 1})
        got = alice.recv_until(lambda m: m.get("content") == "mallory_b4: end")
        self.assertFalse([m for m in got if "i am" in m["content"]])
        self.assertEqual(who(alice), {"alice_b4", "bob_b4", "mallory_b4"})
        bob.chat("still here")
        alice.expect_content("bob_b4: still here")

    def test_bye_and_presence_only_from_the_origin(self):
        alice = self.login(self.a, "alice_b5", "b5")
        self.login(self.b, "bob_b5", "b5")
        wait_for(lambda: who(alice) == {"alice_b5", "bob_b5"}, 10, "bob on a")
        b_id = replica_id(self.b)
        # Not sent by a chat server's user (the administrator may publish
        # here, but not as parley-chat): refused however well-formed.
        admin = Bus(self.services.amqp_url, role="admin")
        self.addCleanup(admin.close)
        admin.send("presence", {"k": "join", "o": uuid.uuid4().hex[:16], "q": 1,
                                "r": "b5", "n": "admin_b5"}, user_id=None)
        # With the chat user: a bye, or a leap in b's presence numbers that
        # would make its real events look old, is not b's.
        self.bus.send("presence", {"k": "bye", "o": b_id})
        self.bus.send("presence", {"k": "bye", "o": b_id, "q": 10 ** 9})
        self.bus.send("presence", {"k": "leave", "o": b_id, "q": 10 ** 12, "r": "b5",
                                   "n": "bob_b5", "quit": True})
        self.bus.send("room.b5", {"k": "bye", "o": b_id, "q": 0})
        # Exactly b's next presence number, as a reader of the bus knows it:
        # only b's signature (its key pinned since its first word) passes;
        # unsigned, with a bad signature, or with b's signature of another
        # message, it is refused.
        hb, b_sig = self.bus.next_heartbeat(b_id)
        leave = {"k": "leave", "o": b_id, "q": hb["q"] + 1, "r": "b5", "n": "bob_b5",
                 "quit": True}
        self.bus.send("presence", leave)
        self.bus.send("presence", leave, message_id="AAAA.BBBB")
        self.bus.send("presence", leave, message_id=b_sig)
        self.bus.send("presence", {"k": "bye", "o": b_id, "q": hb["q"]}, message_id=b_sig)
        o = Origin(self.bus)
        self.assertEqual(self.marker(o, "b5", alice, {"alice_b5"}), {"bob_b5"})

    def test_sync_answers_budgeted(self):
        names = [f"snap_b6_{i:03d}_{'x' * 16}" for i in range(40)]
        for n in names:
            self.login(self.a, n, "b6")
        out0 = self.a.metric("chat_bus_published_bytes_total")
        pub0 = self.a.metric("chat_bus_published_total")
        refused0 = self.a.metric("chat_bus_syncs_refused_total")
        self.assertIsNotNone(out0)
        bus = Bus(self.services.amqp_url)
        self.addCleanup(bus.close)
        start = time.monotonic()
        n = 300
        for _ in range(n):
            bus.send("presence", {"k": "sync", "o": uuid.uuid4().hex[:16]})
        wait_for(lambda: (self.a.metric("chat_bus_syncs_refused_total") - refused0 +
                          self.a.metric("chat_bus_published_total") - pub0) >= n,
                 20, "the syncs handled")
        elapsed = time.monotonic() - start
        sent = self.a.metric("chat_bus_published_total") - pub0
        out = self.a.metric("chat_bus_published_bytes_total") - out0
        print(f"forged syncs: {n} ({bus.bytes} B) in {elapsed:.1f} s -> "
              f"{sent:.0f} messages, {out:.0f} B out ({out / bus.bytes:.2f} B per B in)")
        # Burst 8, 2 per second after it; heartbeats (every 2 s) besides.
        self.assertLessEqual(sent, 8 + 3 * (elapsed + 1))

    def test_history_rows_checked(self):
        rpc = RpcClient(self.services.amqp_url, role="chat")
        self.addCleanup(rpc.conn.close)
        rows = [("SERVER", "fake notice"), ("ev\u0007il", "bad name"),
                ("ok_b7", "x" * 20000), ("ok_b7", "\u001b[2Jwiped")]
        msgs = [{"room": "b7", "origin": "forger", "seq": i + 1, "from": f, "content": c,
                 "ts": 1000 + i} for i, (f, c) in enumerate(rows)]
        self.assertTrue(rpc.call("CHAT_APPEND", {"messages": msgs})["success"])
        refused0 = self.a.metric("chat_history_rows_refused_total")
        cl = self.a.client()
        self.addCleanup(cl.close)
        cl.login("reader_b7", ["meta"])
        cl.chat("/join b7")
        got = [m["content"] for m in drain(cl, 0.5) if m.get("history")]
        self.assertEqual(got, ["ok_b7: \\x1b[2Jwiped"])
        self.assertEqual(self.a.metric("chat_history_rows_refused_total") - refused0, 3)


def replica_id(server):
    m = re.search(r"replica=([0-9a-f]+) cluster=", server.daemon.log())
    return m.group(1)


if __name__ == "__main__":
    unittest.main()
