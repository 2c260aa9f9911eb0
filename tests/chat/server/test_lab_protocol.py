#!/usr/bin/python3
"""The lab wire protocol against one standalone chat-server (docs/chat.md, Protocol):
exact texts, frames byte for byte, plain-text mode, IPv6, commands."""

import json
import socket
import struct
import unittest

from chat_harness import ChatServer, Closed, LabClient


class LabProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ChatServer(env={"CHAT_HISTORY": "0"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def connect(self, name, features=None):
        c = self.server.client()
        self.addCleanup(c.close)
        welcome, users = c.login(name, features)
        return c, welcome, users

    def test_hello_welcome_and_presence(self):
        a, welcome, users = self.connect("alice1")
        self.assertEqual(welcome, {"type": "WELCOME",
                                   "content": "Welcome alice1! You can now start to chat!"})
        self.assertEqual(users, {"type": "CHAT", "content": "CONNECTED USERS: alice1"})
        b, _, users = self.connect("bob1")
        self.assertEqual(users["content"], "CONNECTED USERS: alice1, bob1")
        self.assertEqual(a.recv(), {"type": "CHAT", "content": "SERVER: bob1 is now online"})

    def test_frames_are_byte_for_byte_python_json(self):
        c = self.server.client()
        self.addCleanup(c.close)
        c.hello("zoë")
        raw = c.recv_raw()
        expected = json.dumps({"type": "WELCOME",
                               "content": "Welcome zoë! You can now start to chat!"}).encode()
        self.assertEqual(raw, expected)

    def test_chat_no_echo_and_quit(self):
        a, _, _ = self.connect("alice2")
        b, _, _ = self.connect("bob2")
        a.expect_content("SERVER: bob2 is now online")
        b.chat("hello there")
        self.assertEqual(a.recv(), {"type": "CHAT", "content": "bob2: hello there"})
        b.expect_quiet(0.3)  # no echo to the sender
        b.quit()
        self.assertEqual(b.recv(), {"type": "BYE",
                                    "content": "You now left the chat. See you soon bob2!"})
        self.assertRaises(Closed, b.recv, 5)
        self.assertEqual(a.recv(), {"type": "CHAT", "content": "SERVER: bob2 left the chat"})

    def test_dropped_connection_gives_same_notice(self):
        a, _, _ = self.connect("alice3")
        b, _, _ = self.connect("bob3")
        a.expect_content("SERVER: bob3 is now online")
        b.close()
        a.expect_content("SERVER: bob3 left the chat")

    def test_name_rules(self):
        c = self.server.client(timeout=5)
        self.addCleanup(c.close)
        for bad in ["", "has space", "x" * 33, "tab\tname", "SERVER", "server"]:
            c.hello(bad)
            msg = c.recv()
            self.assertEqual(msg["type"], "CHAT")
            self.assertTrue(msg["content"].startswith("SERVER: "), msg)
        self.connect("Taken4")
        c.hello("taken4")  # case-insensitive
        self.assertIn("taken", c.recv()["content"])
        # After rejections the connection still waits for a good HELLO.
        welcome, _ = c.login("free4")
        self.assertEqual(welcome["content"], "Welcome free4! You can now start to chat!")
        # 32 characters (not bytes) are fine.
        d = self.server.client()
        self.addCleanup(d.close)
        d.login("é" * 32)

    def test_error_feature(self):
        c = self.server.client()
        self.addCleanup(c.close)
        c.hello("bad name", features=["error"])
        msg = c.recv()
        self.assertEqual(msg["type"], "ERROR")
        self.assertEqual(msg["code"], "name_invalid")
        self.connect("taken5")
        c.hello("taken5", features=["error"])
        self.assertEqual(c.recv()["code"], "name_taken")
        welcome, _ = c.login("ok5", features=["error", "meta", "ping"])
        self.assertEqual(welcome["features"], ["error", "meta", "ping"])
        c.chat("/nosuch")
        self.assertEqual(c.recv()["code"], "bad_command")

    def test_meta_feature(self):
        a, _, _ = self.connect("alice6", features=["meta"])
        b, _, _ = self.connect("bob6")
        a.expect_content("SERVER: bob6 is now online")
        b.chat("with meta")
        m = a.recv()
        self.assertEqual(m["content"], "bob6: with meta")
        self.assertEqual(m["room"], "lobby")
        self.assertEqual(m["from"], "bob6")
        self.assertIsInstance(m["ts"], int)
        self.assertRegex(m["id"], r"^[0-9a-f]+-[0-9]+$")
        # An old client never sees the extra fields.
        a.chat("plain")
        self.assertEqual(b.recv(), {"type": "CHAT", "content": "alice6: plain"})

    def test_commands(self):
        a, _, _ = self.connect("alice7")
        a.chat("/join room7")
        a.recv_until(lambda m: "room7" in m["content"])
        b, _, _ = self.connect("bob7")
        b.chat("/join ROOM7")
        self.assertEqual(b.recv()["content"], "SERVER: you are now in room7 with: alice7, bob7")
        a.expect_content("SERVER: bob7 joined the room")
        b.chat("/who")
        self.assertEqual(b.recv()["content"], "SERVER: users in room7: alice7, bob7")
        b.chat("/rooms")
        rooms = b.recv()["content"]
        self.assertIn("room7 (2)", rooms)
        b.chat("/nick bobby7")
        self.assertEqual(b.recv()["content"], "SERVER: you are now known as bobby7")
        a.expect_content("SERVER: bob7 is now known as bobby7")
        b.chat("/msg alice7 secret")
        self.assertEqual(a.recv()["content"], "bobby7 (private): secret")
        b.chat("/msg nobody7 x")
        self.assertIn("no user named nobody7", b.recv()["content"])
        b.chat("/help")
        helps = b.recv_until(lambda m: m["content"].startswith("SERVER: /quit"))
        self.assertTrue(any("/join ROOM" in m["content"] for m in helps))
        b.chat("/join bad.room")
        self.assertIn("room name", b.recv()["content"])
        b.chat("/join lobby")
        b.recv_until(lambda m: m["content"].startswith("SERVER: you are now in lobby"))
        a.expect_content("SERVER: bobby7 left the room")
        b.chat("/quit")
        self.assertEqual(b.recv()["type"], "BYE")

    def test_control_characters_escaped(self):
        a, _, _ = self.connect("alice8")
        b, _, _ = self.connect("bob8")
        a.expect_content("SERVER: bob8 is now online")
        b.chat("\x1b[31mred\x07\u202e")
        self.assertEqual(a.recv()["content"], "bob8: \\x1b[31mred\\x07\\u202e")

    def test_text_mode(self):
        a, _, _ = self.connect("alice9")
        t = self.server.text()
        self.addCleanup(t.close)
        t.send_line("has space")
        self.assertTrue(t.line().startswith("SERVER: "))
        t.send_line("dave9")
        self.assertEqual(t.line(), "Welcome dave9! You can now start to chat!")
        self.assertEqual(t.line(), "CONNECTED USERS: alice9, dave9")
        a.expect_content("SERVER: dave9 is now online")
        t.send_raw(b"hello\r\n")
        a.expect_content("dave9: hello")
        a.chat("hi dave")
        t.expect("alice9: hi dave")
        t.send_raw(b"\xff\xfe bytes\n")
        a.expect_content("dave9: \\xff\\xfe bytes")
        t.send_line("/quit")
        t.expect("You now left the chat. See you soon dave9!")
        a.expect_content("SERVER: dave9 left the chat")

    def test_ipv6(self):
        try:
            c = LabClient("::1", self.server.port, family=socket.AF_INET6)
        except OSError as exc:
            self.skipTest(f"no IPv6 loopback: {exc}")
        self.addCleanup(c.close)
        welcome, _ = c.login("ipv6user")
        self.assertEqual(welcome["type"], "WELCOME")

    def test_hostile_frames(self):
        c = self.server.client(timeout=5)
        self.addCleanup(c.close)
        c.login("hostile")
        for payload in [b"[1,2]", b"\"str\"", b"{bad json", b"{\"type\":5}",
                        b"{\"type\":\"NOPE\"}", b"{\"type\":\"CHAT\",\"content\":7}",
                        b"{\"type\":\"CHAT\"}", b"\xff\xfe", b"{\"type\":\"CHAT\",\"content\":\"a\\u0000b\"}"]:
            c.send_raw(struct.pack(">I", len(payload)) + payload)
            msg = c.recv()
            self.assertTrue(msg["content"].startswith("SERVER: "), (payload, msg))
        c.send_raw(struct.pack(">I", 0))
        self.assertTrue(c.recv()["content"].startswith("SERVER: "))
        # Still usable after all that.
        c.chat("/who")
        self.assertEqual(c.recv()["content"], "SERVER: users in lobby: hostile")
        # A huge announced length: an error, then a clean close.
        c.send_raw(struct.pack(">I", 0xFFFFFFFF))
        frames = c.wait_closed(5)
        self.assertTrue(any("limit" in f.get("content", "") for f in frames), frames)

    def test_truncated_frame_then_close(self):
        a, _, _ = self.connect("alice10")
        b, _, _ = self.connect("bob10")
        a.expect_content("SERVER: bob10 is now online")
        b.send_raw(struct.pack(">I", 100) + b"{\"type\":")
        b.close()
        a.expect_content("SERVER: bob10 left the chat")

    def test_content_limit(self):
        c, _, _ = self.connect("limit11")
        c.chat("x" * 4097)
        self.assertIn("over 4096 bytes", c.recv()["content"])
        c.chat("x" * 4096)  # exactly the limit passes (nobody else here)
        c.chat("/who")
        self.assertEqual(c.recv()["content"], "SERVER: users in lobby: limit11")


if __name__ == "__main__":
    unittest.main()
