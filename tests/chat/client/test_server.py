"""chat-client against our chat-server (standalone replica): pipe mode with
several clients and rooms, the extensions, reconnecting across a server
restart, and the terminal UI in tmux (docs/chat-client.md, docs/chat.md)."""

import os
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import PipeClient, stop_all, wait_until  # noqa: E402
from parley_harness import BIN, Daemon, free_port  # noqa: E402
from test_tty import TMUX, Tmux  # noqa: E402

FAST = {"CHAT_CLIENT_RECONNECT_BASE_MS": "100", "CHAT_CLIENT_RECONNECT_CAP_MS": "400",
        "CHAT_CLIENT_RECONNECT_MAX": "40"}
OPEN = {"CHAT_MAX_CONN_PER_IP": "0", "CHAT_FLOOD_RATE": "0", "CHAT_SENDQ_MAX": "0",
        "AMQP_URL": ""}


class Server:
    """A standalone chat-server on free ports.  The machine is shared and
    free_port() can race with other processes' ephemeral ports, so a server
    that cannot bind (exits, or is not reachable on both 127.0.0.1 and ::1)
    is started again on other ports."""

    def __init__(self, env=None):
        for attempt in range(5):
            self.port = free_port()
            self.admin = free_port()
            e = dict(OPEN, ADMIN_PORT=str(self.admin), CHAT_DRAIN_TIMEOUT="2")
            e.update(env or {})
            self.daemon = Daemon("chat-server", [str(self.port)], env=e)
            try:
                self.daemon.wait_http(self.admin)
                if self.reachable():
                    return
            except AssertionError:
                if attempt == 4:
                    raise
            self.daemon.stop()
        raise AssertionError("chat-server could not listen on free ports")

    def reachable(self):
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            try:
                with socket.socket(family) as s:
                    s.settimeout(5)
                    s.connect((host, self.port))
            except OSError:
                return False
        return True

    def restart(self, kill=False):
        if kill:
            self.daemon.kill()
        else:
            self.daemon.stop()
        time.sleep(0.3)
        self.daemon.start()
        self.daemon.wait_http(self.admin)


@unittest.skipUnless(os.path.exists(os.path.join(BIN, "chat-server")), "no chat-server")
class AgainstChatServer(unittest.TestCase):
    server_env = None

    def setUp(self):
        self.server = Server(self.server_env)

    def tearDown(self):
        stop_all()
        self.server.daemon.stop()

    def join(self, name, env=None, room=None):
        # "localhost" (::1 and 127.0.0.1): the client tries every address.
        c = PipeClient(self.server.port, name, tag=name, env=env, host="localhost")
        c.expect(f"Welcome {name}! You can now start to chat!")
        c.expect(r"CONNECTED USERS: .*")
        if room:
            c.send(f"/join {room}")
            c.expect(rf"SERVER: you are now in {room} with: .*")
        return c

    def wait_who(self, c, room, users, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            c.send("/who")
            line = c.expect(rf"SERVER: users in {room}: .*")
            if line == f"SERVER: users in {room}: {users}":
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"/who said {line!r}, want {users}")
            time.sleep(0.2)

    def test_rooms_commands_and_private_messages(self):
        alice = self.join("alice")
        bob = self.join("bob")
        alice.expect("SERVER: bob is now online")
        carol = self.join("carol")
        bob.send("/join dev")
        bob.expect("SERVER: you are now in dev with: bob")
        alice.expect("SERVER: bob left the room")
        carol.send("/join dev")
        carol.expect("SERVER: you are now in dev with: bob, carol")
        bob.expect("SERVER: carol joined the room")
        bob.send("héllo dev ✓ 日本")
        carol.expect("bob: héllo dev ✓ 日本")
        alice.send("/msg carol psst")
        carol.expect("alice (private): psst")
        carol.send("/who")
        carol.expect("SERVER: users in dev: bob, carol")
        bob.send("/nick robert")
        bob.expect("SERVER: you are now known as robert")
        carol.expect("SERVER: bob is now known as robert")
        bob.send_raw(b"bell\x07 and \x1b[2J\n")
        carol.expect(r"robert: bell\\x07 and \\x1b\[2J")
        bob.send("x" * 5000)
        bob.expect(r"ERROR too_long: .*")
        bob.send("still connected")
        carol.expect("robert: still connected")
        for c, name in ((alice, "alice"), (bob, "robert"), (carol, "carol")):
            c.send("#quit")
            c.expect(f"You now left the chat. See you soon {name}!")
            self.assertEqual(c.wait(5), 0)
        self.assertFalse(any("dev" in l for l in alice.lines if l.startswith("bob:")))
        self.assertNotIn("bob: héllo dev ✓ 日本", alice.lines)

    def test_history_is_replayed_on_join(self):
        alice = self.join("alice", room="dev")
        alice.send("remember me")
        alice.send("and me")
        time.sleep(0.3)
        dave = self.join("dave", room="dev")
        dave.expect("alice: remember me")
        dave.expect("alice: and me")

    def test_name_taken_exits_3_in_pipe_mode(self):
        self.join("alice")
        c = PipeClient(self.server.port, "ALICE", tag="alice2", host="localhost")
        self.assertEqual(c.wait(5), 3)
        self.assertIn("refused the name", c.stderr())
        bad = PipeClient(self.server.port, "SERVER", tag="server-name", host="localhost")
        self.assertEqual(bad.wait(5), 3)

    def test_end_of_input_sends_everything_then_quits(self):
        watcher = self.join("watcher")
        c = PipeClient(self.server.port, tag="writer", host="localhost",
                       env={"CHAT_CLIENT_SEND_RATE": "0"})
        c.send_raw(b"writer\n" + b"".join(b"line %d\n" % i for i in range(200)))
        c.close_stdin()
        watcher.expect("writer: line 199")
        c.expect("You now left the chat. See you soon writer!")
        self.assertEqual(c.wait(10), 0)
        got = [l for l in watcher.lines if l.startswith("writer: line")]
        self.assertEqual(got, [f"writer: line {i}" for i in range(200)])

    def test_reconnect_after_crash_rejoins_room(self):
        alice = self.join("alice", env=FAST, room="dev")
        self.server.restart(kill=True)
        wait_until(lambda: "Connection lost" in alice.stderr(), 10, "lost notice")
        alice.send("after the crash")
        wait_until(lambda: "Rejoining dev" in alice.stderr(), 15, "rejoin")
        bob = self.join("bob", room="dev")
        # Live or replayed from history, depending on who was first.
        bob.expect("alice: after the crash")
        self.wait_who(bob, "dev", "alice, bob")
        bob.send("welcome back")
        alice.expect("bob: welcome back")

    def test_reconnect_after_sigterm_drain(self):
        alice = self.join("alice", env=FAST)
        self.server.daemon.signal(signal.SIGTERM)
        alice.expect("SERVER: the server is shutting down, please reconnect")
        self.server.daemon.proc.wait(timeout=30)
        self.server.restart()
        alice.expect("Welcome alice! You can now start to chat!", timeout=15)
        alice.send("#quit")
        self.assertEqual(alice.wait(5), 0)


@unittest.skipUnless(os.path.exists(os.path.join(BIN, "chat-server")), "no chat-server")
class PingKeepsIdleClientAlive(AgainstChatServer):
    server_env = {"CHAT_PING_INTERVAL": "1", "CHAT_PING_TIMEOUT": "1",
                  "CHAT_IDLE_TIMEOUT": "1"}

    def test_ping(self):
        alice = self.join("alice")
        bob = self.join("bob")
        time.sleep(4)           # several PING/PONG rounds, idle timeout passed
        bob.send("are you there")
        alice.expect("bob: are you there")
        self.assertNotIn("Connection lost", alice.stderr())

    # The other tests do not need to run again with these settings.
    test_rooms_commands_and_private_messages = None
    test_history_is_replayed_on_join = None
    test_name_taken_exits_3_in_pipe_mode = None
    test_end_of_input_sends_everything_then_quits = None
    test_reconnect_after_crash_rejoins_room = None
    test_reconnect_after_sigterm_drain = None


@unittest.skipUnless(os.path.exists(os.path.join(BIN, "chat-server")), "no chat-server")
class PacingUnderServerFloodControl(unittest.TestCase):
    """The server's default flood limits (5/s, burst 20) drop messages; the
    client's default pacing (5/s, burst 10) keeps a piped file intact."""

    def setUp(self):
        self.server = Server({"CHAT_FLOOD_RATE": "5", "CHAT_FLOOD_BURST": "20"})

    def tearDown(self):
        stop_all()
        self.server.daemon.stop()

    def pipe_lines(self, n, env):
        watcher = PipeClient(self.server.port, "watcher", tag="watcher", host="localhost")
        watcher.expect("Welcome watcher! You can now start to chat!")
        c = PipeClient(self.server.port, tag="writer", host="localhost", env=env)
        c.send_raw(b"writer\n" + b"".join(b"line %d\n" % i for i in range(n)))
        c.close_stdin()
        c.expect("You now left the chat. See you soon writer!", timeout=30)
        self.assertEqual(c.wait(10), 0)
        watcher.expect("SERVER: writer left the chat")
        return c, [l for l in watcher.lines if l.startswith("writer: line")]

    def test_default_pacing_loses_nothing(self):
        start = time.monotonic()
        c, got = self.pipe_lines(35, {})
        self.assertEqual(got, [f"writer: line {i}" for i in range(35)])
        self.assertFalse([l for l in c.lines if l.startswith("ERROR")], c.lines)
        self.assertGreater(time.monotonic() - start, 4)   # 10 at once, then 5/s

    def test_without_pacing_the_server_drops(self):
        c, got = self.pipe_lines(35, {"CHAT_CLIENT_SEND_RATE": "0"})
        self.assertLess(len(got), 35)
        self.assertIn("ERROR flood", "\n".join(c.lines))


@unittest.skipIf(TMUX is None, "tmux not installed")
@unittest.skipUnless(os.path.exists(os.path.join(BIN, "chat-server")), "no chat-server")
class TerminalAgainstChatServer(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.pane = None

    def tearDown(self):
        if self.pane:
            self.pane.kill()
        stop_all()
        self.server.daemon.stop()

    def test_typing_while_private_and_room_messages_arrive(self):
        client = os.path.join(BIN, "chat-client")
        state = os.path.join(tempfile.mkdtemp(prefix="parley-tty-"), "exit")
        self.addCleanup(shutil.rmtree, os.path.dirname(state), True)
        cmd = f"{client} localhost {self.server.port}; echo EXIT=$? > {state}; sleep 60"
        self.pane = pane = Tmux(f"sh -c {shlex.quote(cmd)}")
        pane.wait_text("Write your name and start to chat:")
        pane.text("alice")
        pane.keys("Enter")
        pane.wait_text("Welcome alice! You can now start to chat!")
        pane.text("/join dev")
        pane.keys("Enter")
        pane.wait_text("SERVER: you are now in dev with: alice")
        bob = PipeClient(self.server.port, "bob", tag="bob", host="localhost")
        bob.expect("Welcome bob! You can now start to chat!")
        pane.text("écrit à moitié")
        bob.send("/msg alice secret")
        bob.send("/join dev")
        bob.send("hi dev")
        pane.wait_text("bob: hi dev")
        self.assertEqual(pane.last_row(), ">> écrit à moitié")
        screen = pane.screen(colours=True)
        self.assertRegex(screen, r"\x1b\[35m[^\n]*bob \(private\): secret")
        self.assertRegex(pane.screen(), r"\[\d\d:\d\d\] bob \(private\): secret")
        pane.keys("Enter")
        bob.expect("alice: écrit à moitié")
        pane.text("/quit")
        pane.keys("Enter")
        pane.wait_text("You now left the chat. See you soon alice!")
        def exited():
            try:
                with open(state) as f:
                    return f.read().strip()
            except FileNotFoundError:
                return None
        wait_until(exited, 10, "client exit")
        self.assertEqual(exited(), "EXIT=0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
