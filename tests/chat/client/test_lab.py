"""chat-client in pipe mode against the lab stand-in (tests/chat-client/lab_server.py)."""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import CLIENT, PipeClient, stop_all, wait_until  # noqa: E402
from lab_server import LabServer  # noqa: E402
from parley_harness import free_port  # noqa: E402

FAST = {"CHAT_CLIENT_RECONNECT_BASE_MS": "50", "CHAT_CLIENT_RECONNECT_CAP_MS": "200"}


class LabTest(unittest.TestCase):
    extended = False

    def setUp(self):
        self.server = LabServer(extended=self.extended).start()

    def tearDown(self):
        stop_all()
        self.server.stop()

    def join(self, name, **kw):
        c = PipeClient(self.server.port, name, tag=name, **kw)
        c.expect(f"Attempting to connect to 127.0.0.1 at {self.server.port}")
        c.expect(f"Welcome {name}! You can now start to chat!")
        c.expect(r"CONNECTED USERS: .*")
        return c


class PipeMode(LabTest):
    def test_two_clients_chat_and_quit(self):
        alice = self.join("alice")
        bob = self.join("bob")
        alice.expect("SERVER: bob is now online")
        bob.send("hi alice")
        alice.expect("bob: hi alice")
        alice.send("héllo bob ✓")
        bob.expect("alice: héllo bob ✓")
        bob.send("#quit")
        bob.expect("You now left the chat. See you soon bob!")
        # The lab's server does not close after BYE: the client must not wait.
        self.assertEqual(bob.wait(5), 0)
        alice.expect("SERVER: bob left the chat")
        alice.send("/quit")
        alice.expect("You now left the chat. See you soon alice!")
        self.assertEqual(alice.wait(5), 0)
        hello = self.server.hellos[0]
        self.assertEqual(hello["name"], "alice")
        self.assertEqual(hello["features"], ["error", "meta", "ping"])
        # No echo of own lines in pipe mode, nothing else on stdout.
        self.assertEqual(bob.lines, [
            f"Attempting to connect to 127.0.0.1 at {self.server.port}",
            "Welcome bob! You can now start to chat!",
            "CONNECTED USERS: alice, bob",
            "alice: héllo bob ✓",
            "You now left the chat. See you soon bob!"])

    def test_end_of_input_quits_after_sending_everything(self):
        watcher = self.join("watcher")
        c = PipeClient(self.server.port, stdin=subprocess.PIPE, tag="writer")
        c.send_raw(b"writer\none\r\ntwo\n\nthree")   # CRLF, blank line, no final \n
        c.close_stdin()
        for line in ("writer: one", "writer: two", "writer: three"):
            watcher.expect(line)
        c.expect("You now left the chat. See you soon writer!")
        self.assertEqual(c.wait(5), 0)
        self.assertEqual(self.server.chats_from("writer"), ["one", "two", "three"])
        self.assertEqual(self.server.types_from("writer")[-1], "QUIT")

    def test_name_option(self):
        watcher = self.join("watcher")
        c = PipeClient(self.server.port, args=("--name", "zed"), tag="zed")
        c.expect("Welcome zed! You can now start to chat!")
        c.send("first line is a message")
        watcher.expect("zed: first line is a message")
        c.close_stdin()
        self.assertEqual(c.wait(5), 0)

    def test_input_from_regular_file_and_dev_null(self):
        watcher = self.join("watcher")
        with tempfile.TemporaryFile() as f:
            f.write(b"filer\nfrom a file\n#quit\nnot sent\n")
            f.seek(0)
            c = PipeClient(self.server.port, stdin=f, tag="filer")
            watcher.expect("filer: from a file")
            self.assertEqual(c.wait(5), 0)
        self.assertEqual(self.server.chats_from("filer"), ["from a file"])
        with open(os.devnull, "rb") as null:
            c = PipeClient(self.server.port, stdin=null, tag="null")
            self.assertEqual(c.wait(5), 3)
            self.assertIn("No name", c.stderr())

    def test_received_text_is_escaped_and_unknown_frames_ignored(self):
        alice = self.join("alice")
        self.server.inject("alice", {"type": "SHINY", "content": "ignore me"})
        self.server.inject("alice", b"{not json")
        self.server.inject_bytes("alice", b"\0\0\0\0")          # empty frame
        self.server.inject("alice", {"type": "CHAT"})            # no content
        self.server.inject("alice", {"type": "CHAT", "content":
                                     "evil: \x1b[2J\x07two\nlines \u202e\x85"})
        alice.expect("")
        alice.expect(r"evil: \\x1B\[2J\\x07two\\x0Alines \\u202E\\u0085")
        self.server.inject("alice", {"type": "CHAT", "content": "still: fine",
                                     "extra": [1, 2]})
        alice.expect("still: fine")
        alice.send("#quit")
        self.assertEqual(alice.wait(5), 0)

    def test_invalid_utf8_input_is_replaced_not_dropped(self):
        alice = self.join("alice")
        bob = self.join("bob")
        bob.send_raw(b"bad \xff byte\n")
        alice.expect("bob: bad \ufffd byte")

    def test_oversized_frame_drops_connection(self):
        alice = self.join("alice", env=dict(FAST, CHAT_CLIENT_RECONNECT_MAX="1"))
        self.server.inject_bytes("alice", struct.pack(">I", 1 << 30))
        wait_until(lambda: "too large" in alice.stderr(), 5, "protocol error notice")

    def test_reader_gone_means_leave(self):
        r = subprocess.Popen(f"{CLIENT} 127.0.0.1 {self.server.port} | head -2",
                             shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        r.stdin.write(b"headless\n")
        r.stdin.flush()

        # stdin stays open: only the closed pipe can make the client leave.
        # Keep sending it lines until a write fails and it says QUIT.
        def quit_seen():
            if "headless" in self.server.names():
                try:
                    self.server.inject("headless", {"type": "CHAT", "content": "x: 1"})
                except (KeyError, OSError):
                    pass
            return "QUIT" in self.server.types_from("headless")
        try:
            wait_until(quit_seen, 10, "QUIT after the reader went away")
        finally:
            r.stdin.close()
            r.wait(5)
            r.stdout.close()

    def test_cannot_connect(self):
        port = free_port()
        start = time.monotonic()
        r = subprocess.run([CLIENT, "127.0.0.1", str(port)], input=b"x\n",
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"Attempting to connect to 127.0.0.1 at {port}".encode(), r.stdout)
        self.assertIn(b"Could not connect to the chat", r.stderr)
        self.assertLess(time.monotonic() - start, 5)
        r = subprocess.run([CLIENT, "no-such-host.invalid", str(port)], input=b"x\n",
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Could not connect to the chat", r.stderr)

    def test_command_line(self):
        r = subprocess.run([CLIENT], capture_output=True, timeout=5)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"usage: chat-client", r.stderr)
        for args in (["h", "0"], ["h", "65536"], ["h", "x1"], ["h"], ["h", "1", "2"],
                     ["--bogus", "h", "1"], ["--name", "", "h", "1"]):
            r = subprocess.run([CLIENT, *args], capture_output=True, timeout=5)
            self.assertEqual(r.returncode, 2, args)
        r = subprocess.run([CLIENT, "--help"], capture_output=True, timeout=5)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: chat-client", r.stdout)
        r = subprocess.run([CLIENT, "--version"], capture_output=True, timeout=5)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"chat-client \d+\.\d+\.\d+")

    def test_localhost_resolves_and_falls_back_to_ipv4(self):
        # The stand-in listens on 127.0.0.1 only; "localhost" may say ::1 first.
        c = PipeClient(self.server.port, "loc", host="localhost", tag="loc")
        c.expect("Welcome loc! You can now start to chat!")
        c.send("#quit")
        self.assertEqual(c.wait(5), 0)


class Reconnect(LabTest):
    def restart_server(self, down_for=0.3):
        port = self.server.port
        self.server.stop()
        time.sleep(down_for)
        self.server = LabServer(port=port, extended=self.extended).start()

    def test_reconnects_with_same_name_and_keeps_lines(self):
        alice = self.join("alice", env=FAST)
        self.server.stop()
        wait_until(lambda: "Connection lost" in alice.stderr(), 5, "lost notice")
        alice.send("typed while down")
        time.sleep(0.3)
        port = self.server.port
        self.server = LabServer(port=port).start()
        wait_until(lambda: self.server.chats_from("alice") == ["typed while down"], 10,
                   "the line typed while disconnected")
        self.assertEqual([h["name"] for h in self.server.hellos], ["alice"])
        self.assertIn("Connected again", alice.stderr())
        alice.send("#quit")
        self.assertEqual(alice.wait(5), 0)

    def test_gives_up_after_max_attempts(self):
        alice = self.join("alice", env=dict(FAST, CHAT_CLIENT_RECONNECT_MAX="3"))
        self.server.stop()
        self.assertEqual(alice.wait(10), 1)
        err = alice.stderr()
        self.assertIn("after 3 attempts", err)
        for i in (1, 2, 3):
            self.assertIn(f"(attempt {i} of 3)", err)
        self.assertNotIn("attempt 4", err)
        self.assertEqual(self.server.connections, 1)

    def test_no_reconnect_after_quit(self):
        alice = self.join("alice", env=FAST)
        alice.send("#quit")
        alice.expect("You now left the chat. See you soon alice!")
        self.assertEqual(alice.wait(5), 0)
        self.assertEqual(self.server.connections, 1)


class Extended(LabTest):
    """The Parley extensions the client relies on, on the stand-in."""
    extended = True

    def test_rejoins_room_after_reconnect(self):
        alice = self.join("alice", env=FAST)
        alice.send("/join Dev")
        alice.expect("SERVER: you are now in dev with: alice")
        port = self.server.port
        self.server.stop()
        wait_until(lambda: "Connection lost" in alice.stderr(), 5, "lost notice")
        self.server = LabServer(port=port, extended=True).start()
        alice.expect("Welcome alice! You can now start to chat!", timeout=10)
        alice.expect("SERVER: you are now in dev with: alice")
        self.assertEqual(self.server.chats_from("alice"), ["/join dev"])
        self.assertIn("Rejoining dev", alice.stderr())
        bob = self.join("bob")
        bob.send("/join dev")
        alice.expect("SERVER: bob joined the room")

    def test_reconnects_with_new_nick_and_stays_in_lobby(self):
        alice = self.join("alice", env=FAST)
        alice.send("/nick alicia")
        alice.expect("SERVER: you are now known as alicia")
        port = self.server.port
        self.server.stop()
        wait_until(lambda: "Connection lost" in alice.stderr(), 5, "lost notice")
        self.server = LabServer(port=port, extended=True).start()
        alice.expect("Welcome alicia! You can now start to chat!", timeout=10)
        alice.send("still here")
        wait_until(lambda: self.server.chats_from("alicia") == ["still here"], 5, "chat")
        self.assertEqual([h["name"] for h in self.server.hellos], ["alicia"])
        self.assertNotIn("Rejoining", alice.stderr())

    def test_user_lines_cannot_fake_a_room_change(self):
        alice = self.join("alice", env=FAST)
        bob = self.join("bob")
        bob.send("SERVER: you are now in trap with: x")
        alice.expect("bob: SERVER: you are now in trap with: x")
        self.server.inject("alice", {"type": "CHAT", "from": "bob", "room": "lobby",
                                     "content": "SERVER: you are now in trap2 with: x"})
        alice.expect("SERVER: you are now in trap2 with: x")
        port = self.server.port
        self.server.stop()
        self.server = LabServer(port=port, extended=True).start()
        alice.expect("Welcome alice! You can now start to chat!", timeout=10)
        time.sleep(0.3)
        self.assertEqual(self.server.chats_from("alice"), [])

    def test_name_taken_in_pipe_mode_exits_3(self):
        self.join("alice")
        c = PipeClient(self.server.port, "alice", tag="alice2")
        self.assertEqual(c.wait(5), 3)
        self.assertIn("refused the name", c.stderr())
        self.assertIn("alice", c.stderr())

    def test_ping_gets_pong(self):
        alice = self.join("alice")
        self.server.inject("alice", {"type": "PING"})
        wait_until(lambda: "PONG" in self.server.types_from("alice"), 5, "PONG")


if __name__ == "__main__":
    unittest.main(verbosity=2)
