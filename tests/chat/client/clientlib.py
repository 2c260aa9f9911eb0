"""Helpers for the chat-client tests: run build/bin/chat-client in pipe mode
and read what it prints, with a deadline on every wait."""

import os
import queue
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parley_harness import BIN, artifact_dir  # noqa: E402

CLIENT = os.path.join(BIN, "chat-client")

_procs = []


def stop_all():
    while _procs:
        p = _procs.pop()
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()
        for f in (p.proc.stdin, p.proc.stdout, p.err):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


class PipeClient:
    """chat-client HOST PORT with pipes for stdin/stdout; stderr to a file."""

    def __init__(self, port, name=None, args=(), env=None, host="127.0.0.1",
                 stdin=subprocess.PIPE, tag="client"):
        test = os.path.splitext(os.path.basename(sys.argv[0]))[0]
        self.err_path = os.path.join(artifact_dir(test), f"{tag}.stderr")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([CLIENT, *args, host, str(port)], stdin=stdin,
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     env=full_env)
        self.lines = []
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        _procs.append(self)
        if name is not None:
            self.send(name)

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self.q.put(line)
        self.q.put(None)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()
        self.proc.stdin = None

    def expect(self, pattern, timeout=10):
        """Wait for a stdout line matching the regex (or equal to the str)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s;"
                                     f" got {seen!r}; stderr: {self.stderr()[-2000:]}")
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.q.put(None)
                raise AssertionError(f"stdout closed before {pattern!r}; got {seen!r};"
                                     f" stderr: {self.stderr()[-2000:]}")
            seen.append(line)
            if line == pattern or re.fullmatch(pattern, line):
                return line

    def wait(self, timeout=10):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"chat-client did not exit within {timeout}s;"
                                 f" stderr: {self.stderr()[-2000:]}")

    def stderr(self):
        self.err.flush()
        with open(self.err_path, errors="replace") as f:
            return f.read()


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
