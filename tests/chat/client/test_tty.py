"""The interactive chat-client driven in tmux: type while messages arrive and
check the screen (docs/chat-client.md)."""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clientlib import CLIENT, PipeClient, stop_all, wait_until  # noqa: E402
from lab_server import LabServer  # noqa: E402

TMUX = shutil.which("tmux")


class Tmux:
    """One tmux server on a private socket with one pane running cmd."""

    def __init__(self, cmd, cols=80, rows=24, env=None):
        self.sock = "parley-" + uuid.uuid4().hex[:10]
        full = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        full.pop("NO_COLOR", None)
        full.update(env or {})
        self.env = full
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(cols),
                  "-y", str(rows), cmd)
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def tmux(self, *args):
        return subprocess.run([TMUX, "-L", self.sock, *args], env=self.env, check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def text(self, s):
        self.tmux("send-keys", "-t", "t", "-l", s)

    def screen(self, colours=False):
        args = ["capture-pane", "-p", "-J", "-t", "t"] + (["-e"] if colours else [])
        return self.tmux(*args)

    def rows(self):
        return self.screen().rstrip("\n").split("\n")

    def last_row(self):
        """The last non-empty row: the input line while chatting."""
        rows = [r for r in self.rows() if r.strip()]
        return rows[-1].rstrip() if rows else ""

    def cursor_x(self):
        return int(self.tmux("display-message", "-p", "-t", "t", "#{cursor_x}").strip())

    def wait_screen(self, pred, what, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if pred(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{s}")
            time.sleep(0.05)

    def wait_text(self, text, timeout=10):
        return self.wait_screen(lambda s: text in s, repr(text), timeout)

    def kill(self):
        subprocess.run([TMUX, "-L", self.sock, "kill-server"], capture_output=True,
                       timeout=10)


class TerminalBase(unittest.TestCase):
    extended = False

    def setUp(self):
        self.server = LabServer(extended=self.extended).start()
        self.tmp = tempfile.mkdtemp(prefix="parley-tty-")
        self.panes = []

    def tearDown(self):
        for p in self.panes:
            p.kill()
        stop_all()
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, name="alice", cols=80, rows=24, env=None, after=""):
        """chat-client in a pane; after it exits the shell records its status
        and whether the terminal got its cooked mode back."""
        state = os.path.join(self.tmp, "state")
        envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        cmd = (f"env {envs} {shlex.quote(CLIENT)} 127.0.0.1 {self.server.port}; "
               f"echo EXIT=$? > {state}; stty -a >> {state}; {after} sleep 60")
        pane = Tmux(f"sh -c {shlex.quote(cmd)}", cols=cols, rows=rows)
        self.panes.append(pane)
        self.state = state
        pane.wait_text("Write your name and start to chat:")
        self.assertIn(f"Attempting to connect to 127.0.0.1 at {self.server.port}",
                      pane.screen())
        if name:
            pane.text(name)
            pane.keys("Enter")
            pane.wait_text(f"Welcome {name}! You can now start to chat!")
            pane.wait_screen(lambda s: s.rstrip().endswith(">>"), "chat prompt")
        return pane

    def read_state(self):
        try:
            with open(self.state) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def exit_state(self, timeout=10):
        wait_until(lambda: "EXIT=" in self.read_state() and
                   "icanon" in self.read_state(), timeout, "client exit")
        text = self.read_state()
        code = int(text.split("EXIT=")[1].split()[0])
        return code, text

    def assert_cooked(self, stty):
        for flag in ("icanon", "echo", "isig", "icrnl"):
            self.assertIn(f" {flag}", " " + stty.replace("\n", " "), flag)
            self.assertNotIn(f"-{flag} ", stty.replace("\n", " ") + " ", flag)


@unittest.skipIf(TMUX is None, "tmux not installed")
class Terminal(TerminalBase):
    def test_half_typed_line_survives_incoming_messages(self):
        pane = self.start(env={"NO_COLOR": "1"})
        bob = PipeClient(self.server.port, "bob", tag="bob")
        pane.wait_text("SERVER: bob is now online")
        pane.text("half typ")
        for i in range(8):
            bob.send(f"message {i} from bob")
        pane.wait_text("bob: message 7 from bob")
        rows = pane.rows()
        self.assertEqual(pane.last_row(), ">> half typ")
        self.assertEqual(pane.cursor_x(), len(">> half typ"))
        # Messages appear in order above the input line, each on its own row.
        msgs = [r for r in rows if "from bob" in r]
        self.assertEqual(len(msgs), 8)
        for i, r in enumerate(msgs):
            self.assertEqual(r, f"bob: message {i} from bob")  # NO_COLOR: no time
        pane.text("ed")
        pane.keys("Enter")
        bob.expect("alice: half typed")
        pane.wait_text("alice: half typed")
        self.assertEqual(pane.last_row(), ">>")
        self.assertEqual(self.server.chats_from("alice"), ["half typed"])

    def test_history_with_arrow_keys(self):
        pane = self.start(env={"NO_COLOR": "1"})
        for line in ("first line", "second line"):
            pane.text(line)
            pane.keys("Enter")
        wait_until(lambda: len(self.server.chats_from("alice")) == 2, 5, "two lines")
        pane.text("draft")
        pane.keys("Up")
        pane.wait_screen(lambda s: s.rstrip().endswith(">> second line"), "history 1")
        pane.keys("Up")
        pane.wait_screen(lambda s: s.rstrip().endswith(">> first line"), "history 2")
        pane.keys("Down", "Down")
        pane.wait_screen(lambda s: s.rstrip().endswith(">> draft"), "draft back")
        pane.keys("Up", "Up", "End")
        pane.text(" again")
        pane.keys("Enter")
        wait_until(lambda: len(self.server.chats_from("alice")) == 3, 5, "third line")
        self.assertEqual(self.server.chats_from("alice"),
                         ["first line", "second line", "first line again"])

    def test_utf8_editing(self):
        pane = self.start(env={"NO_COLOR": "1"})
        pane.text("héllo 日本x")
        pane.wait_screen(lambda s: s.rstrip().endswith(">> héllo 日本x"), "typed")
        self.assertEqual(pane.cursor_x(), 3 + 6 + 4 + 1)   # wide characters: 2 columns
        pane.keys("Left", "Left", "BSpace")                 # delete 日
        pane.wait_screen(lambda s: s.rstrip().endswith(">> héllo 本x"), "deleted wide")
        self.assertEqual(pane.cursor_x(), 3 + 6)
        pane.keys("Home", "Right", "Right", "BSpace")       # delete é
        pane.wait_screen(lambda s: s.rstrip().endswith(">> hllo 本x"), "deleted é")
        self.assertEqual(pane.cursor_x(), 4)
        pane.text("é")
        pane.keys("End", "C-w")
        pane.text("wörld ✓")
        pane.keys("Enter")
        wait_until(lambda: self.server.chats_from("alice"), 5, "message")
        self.assertEqual(self.server.chats_from("alice"), ["héllo wörld ✓"])

    def test_editing_keys(self):
        pane = self.start(env={"NO_COLOR": "1"})
        pane.text("one two three")
        pane.keys("C-a", "C-k")
        pane.wait_screen(lambda s: s.rstrip().endswith(">>"), "killed")
        pane.text("one two three")
        pane.keys("M-b", "C-u")                             # kill "one two "
        pane.wait_screen(lambda s: s.rstrip().endswith(">> three"), "ctrl-u")
        pane.keys("C-e")
        pane.text(" four")
        pane.keys("Home", "DC", "C-d")                      # Delete, Ctrl-D delete
        pane.wait_screen(lambda s: s.rstrip().endswith(">> ree four"), "deletes")
        pane.keys("Enter")
        wait_until(lambda: self.server.chats_from("alice"), 5, "message")
        self.assertEqual(self.server.chats_from("alice"), ["ree four"])

    def test_long_line_scrolls_in_one_row(self):
        pane = self.start(cols=40, env={"NO_COLOR": "1"})
        text = "".join(chr(ord("a") + i % 26) for i in range(100))
        pane.text(text)
        pane.wait_screen(lambda s: text[-20:] in s, "tail visible")
        last = pane.last_row()
        self.assertTrue(last.startswith(">> "), last)
        self.assertLessEqual(len(last), 39)
        self.assertTrue(text.endswith(last[3:]), last)
        self.assertEqual(sum(1 for r in pane.rows() if text[-10:] in r), 1)
        bob = PipeClient(self.server.port, "bob", tag="bob")
        pane.wait_text("SERVER: bob is now online")
        self.assertEqual(pane.last_row(), last)
        pane.keys("Enter")
        bob.expect("alice: " + text)

    def test_resize_redraws_the_input_line(self):
        pane = self.start(env={"NO_COLOR": "1"})
        text = "".join(chr(ord("a") + i % 26) for i in range(60))
        pane.text(text)
        pane.wait_screen(lambda s: s.rstrip().endswith(">> " + text), "typed")
        pane.tmux("resize-window", "-t", "t", "-x", "30")
        pane.wait_screen(lambda s: len(s.rstrip("\n").split("\n")[-1].rstrip()) <= 29
                         and text[-10:] in s, "redrawn for 30 columns")
        last = pane.last_row()
        self.assertTrue(last.startswith(">> ") and text.endswith(last[3:]), last)
        # Nothing of the old, wider row is left on the screen.
        self.assertNotIn(">> abcdefghij", pane.screen())
        self.assertIn("CONNECTED USERS: alice\n>> ", pane.screen())  # the row above stays
        pane.keys("Enter")
        wait_until(lambda: self.server.chats_from("alice") == [text], 5, "message")

    def client_pid(self, pane):
        pid = pane.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip()
        out = subprocess.run(["pgrep", "-P", pid, "-f", "chat-client"],
                             capture_output=True, text=True).stdout.split()
        self.assertTrue(out, "client pid")
        return int(out[0])

    def pane_stty(self, pane):
        tty = pane.tmux("display-message", "-p", "-t", "t", "#{pane_tty}").strip()
        return subprocess.run(["stty", "-a", "-F", tty], capture_output=True, text=True,
                              timeout=5).stdout

    def test_ctrl_z_gives_the_terminal_back_and_fg_takes_it_again(self):
        # An interactive shell with job control, as a user would have.
        pane = Tmux("bash --norc --noprofile --noediting")
        self.panes.append(pane)
        pane.wait_screen(lambda s: s.strip(), "shell prompt")
        pane.text(f"NO_COLOR=1 {CLIENT} 127.0.0.1 {self.server.port}")
        pane.keys("Enter")
        pane.wait_text("Write your name and start to chat:")
        pane.text("alice")
        pane.keys("Enter")
        pane.wait_text("Welcome alice! You can now start to chat!")
        pane.text("before stop")
        pane.keys("C-z")
        pane.wait_text("Stopped")
        self.assert_cooked(self.pane_stty(pane))
        pane.text("fg")
        pane.keys("Enter")
        wait_until(lambda: "-icanon" in self.pane_stty(pane), 5, "raw mode again")
        pane.wait_screen(lambda s: s.rstrip().endswith(">> before stop"), "line redrawn")
        pane.text(" and after")
        pane.keys("Enter")
        wait_until(lambda: self.server.chats_from("alice") == ["before stop and after"],
                   5, "message")

    def test_quit_command_restores_terminal(self):
        pane = self.start()
        pane.text("#quit")
        pane.keys("Enter")
        pane.wait_text("You now left the chat. See you soon alice!")
        code, stty = self.exit_state()
        self.assertEqual(code, 0)
        self.assert_cooked(stty)
        self.assertEqual(self.server.types_from("alice"), ["HELLO", "QUIT"])

    def test_ctrl_c_and_ctrl_d_leave_cleanly(self):
        pane = self.start(env={"NO_COLOR": "1"})
        pane.text("unsent")
        pane.keys("C-c")
        pane.wait_text("You now left the chat. See you soon alice!")
        code, stty = self.exit_state()
        self.assertEqual(code, 0)
        self.assert_cooked(stty)
        self.assertEqual(self.server.types_from("alice"), ["HELLO", "QUIT"])
        os.unlink(self.state)
        pane2 = self.start(name="carol", env={"NO_COLOR": "1"})
        pane2.keys("C-d")
        pane2.wait_text("You now left the chat. See you soon carol!")
        code, stty = self.exit_state()
        self.assertEqual(code, 0)
        self.assert_cooked(stty)

    def test_sigterm_restores_terminal(self):
        pane = self.start(env={"NO_COLOR": "1"})
        os.kill(self.client_pid(pane), 15)
        code, stty = self.exit_state()
        self.assertEqual(code, 0)
        self.assert_cooked(stty)

    def test_dumb_terminal_gets_pipe_mode(self):
        state = os.path.join(self.tmp, "state")
        cmd = (f"TERM=dumb {shlex.quote(CLIENT)} 127.0.0.1 {self.server.port}; "
               f"echo EXIT=$? > {state}; sleep 60")
        pane = Tmux(f"sh -c {shlex.quote(cmd)}")
        self.panes.append(pane)
        pane.wait_text("Write your name and start to chat:")
        pane.text("dumbo")
        pane.keys("Enter")
        pane.wait_text("Welcome dumbo! You can now start to chat!")
        self.assertNotIn(">>", pane.screen())             # no line editor
        self.assertNotRegex(pane.screen(), r"\[\d\d:\d\d\]")  # no timestamps
        pane.text("cooked line")
        pane.keys("Enter")
        wait_until(lambda: self.server.chats_from("dumbo") == ["cooked line"], 5, "line")
        pane.keys("C-d")
        wait_until(lambda: os.path.exists(state), 10, "exit")
        with open(state) as f:
            self.assertEqual(f.read().strip(), "EXIT=0")

    def test_colours_and_timestamps_only_on_terminal(self):
        pane = self.start()
        bob = PipeClient(self.server.port, "bob", tag="bob")
        pane.wait_text("SERVER: bob is now online")
        bob.send("hi there")
        pane.wait_text("bob: hi there")
        coloured = pane.screen(colours=True)
        self.assertIn("\x1b[33m", coloured.replace("\x1b[33m\x1b", "\x1b[33m"))  # SERVER
        self.assertRegex(pane.screen(), r"\[\d\d:\d\d\] bob: hi there")
        self.assertNotIn("\x1b[", "\n".join(bob.lines))
        self.assertFalse(any(l.startswith("[") for l in bob.lines))

    def test_name_prompt_again_after_error_and_escaping(self):
        self.server.extended = True
        PipeClient(self.server.port, "alice", tag="alice-pipe").expect(
            "Welcome alice! You can now start to chat!")
        pane = self.start(name=None, env={"NO_COLOR": "1"})
        pane.text("alice")
        pane.keys("Enter")
        pane.wait_text("The name alice is taken")
        pane.wait_screen(lambda s: s.rstrip().endswith("Write your name and start to chat:"),
                         "name prompt again")
        pane.text("bob")
        pane.keys("Enter")
        pane.wait_text("Welcome bob! You can now start to chat!")
        self.server.inject("bob", {"type": "CHAT", "content": "x: \x1b[2J\x1b[31mred\x07"})
        pane.wait_text("x: \\x1B[2J\\x1B[31mred\\x07")


@unittest.skipIf(TMUX is None, "tmux not installed")
class TerminalReconnect(TerminalBase):
    extended = True

    def test_reconnect_keeps_typed_line_and_rejoins(self):
        pane = self.start(env={"NO_COLOR": "1", "CHAT_CLIENT_RECONNECT_BASE_MS": "100",
                               "CHAT_CLIENT_RECONNECT_CAP_MS": "300"})
        pane.text("/join dev")
        pane.keys("Enter")
        pane.wait_text("SERVER: you are now in dev with: alice")
        pane.text("typing while it breaks")
        port = self.server.port
        self.server.stop()
        pane.wait_text("Connection lost")
        self.assertEqual(pane.last_row(), ">> typing while it breaks")
        time.sleep(0.5)
        self.server = LabServer(port=port, extended=True).start()
        pane.wait_text("Connected again", timeout=10)
        pane.wait_text("Rejoining dev")
        wait_until(lambda: self.server.chats_from("alice") == ["/join dev"], 5, "rejoin")
        self.assertEqual(pane.last_row(), ">> typing while it breaks")
        pane.keys("Enter")
        wait_until(lambda: len(self.server.chats_from("alice")) == 2, 5, "line")
        self.assertEqual(self.server.chats_from("alice")[1], "typing while it breaks")


if __name__ == "__main__":
    unittest.main(verbosity=2)
