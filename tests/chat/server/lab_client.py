#!/usr/bin/python3
"""A client of the lab's chat protocol, written from docs/chat.md (Protocol).

Each frame is a 4-byte big-endian length followed by that many bytes of
UTF-8 JSON, formatted the way the lab's Python code does (json.dumps).
Used as a library by the tests (LabClient) and as a command-line client:

    lab_client.py HOST PORT NAME     # stdin lines are sent, frames printed
"""

import json
import select
import socket
import struct
import sys
import time


def encode(obj):
    body = json.dumps(obj).encode("utf-8")
    return struct.pack(">I", len(body)) + body


class Closed(Exception):
    """The server closed the connection."""


class LabClient:
    def __init__(self, host="127.0.0.1", port=60876, timeout=10.0, family=None):
        self.timeout = timeout
        if family is None:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        else:
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
        self.buf = b""
        self.name = None

    # -- sending --
    def send(self, obj):
        self.sock.sendall(encode(obj))

    def send_raw(self, data):
        self.sock.sendall(data)

    def hello(self, name, features=None):
        msg = {"type": "HELLO", "name": name}
        if features is not None:
            msg["features"] = features
        self.name = name
        self.send(msg)

    def chat(self, content):
        self.send({"type": "CHAT", "content": content})

    def quit(self):
        self.send({"type": "QUIT"})

    # -- receiving --
    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no frame from the server in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no frame from the server in time")
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed by the server")
        self.buf += data

    def recv_raw(self, timeout=None):
        """The next frame's payload bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < 4:
            self._fill(deadline)
        (n,) = struct.unpack(">I", self.buf[:4])
        while len(self.buf) < 4 + n:
            self._fill(deadline)
        payload, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return payload

    def recv(self, timeout=None):
        return json.loads(self.recv_raw(timeout).decode("utf-8"))

    def recv_until(self, pred, timeout=None, what="a matching frame"):
        """Frames up to and including the first for which pred is true."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {what}; got {seen!r}")
            msg = self.recv(left)
            seen.append(msg)
            if pred(msg):
                return seen

    def expect_content(self, content, timeout=None):
        return self.recv_until(lambda m: m.get("content") == content, timeout,
                               what=repr(content))

    def expect_quiet(self, seconds):
        """Assert that nothing arrives for seconds; returns nothing."""
        try:
            msg = self.recv(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {msg!r}")

    def wait_closed(self, timeout=None):
        """Read (and return) frames until the server closes."""
        got = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                got.append(self.recv(max(0.01, deadline - time.monotonic())))
            except Closed:
                return got

    def login(self, name, features=None):
        """HELLO and read WELCOME + CONNECTED USERS; returns those frames."""
        self.hello(name, features)
        welcome = self.recv()
        if welcome.get("type") != "WELCOME":
            raise AssertionError(f"expected WELCOME, got {welcome!r}")
        users = self.recv()
        return welcome, users

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    if len(sys.argv) != 4:
        print("usage: lab_client.py HOST PORT NAME", file=sys.stderr)
        return 2
    c = LabClient(sys.argv[1], int(sys.argv[2]))
    c.hello(sys.argv[3])
    while True:
        r, _, _ = select.select([c.sock, sys.stdin], [], [])
        if sys.stdin in r:
            line = sys.stdin.readline()
            if not line or line.strip() == "#quit":
                c.quit()
                for m in c.wait_closed(5):
                    print(m.get("content"), flush=True)
                return 0
            c.chat(line.rstrip("\n"))
        if c.sock in r:
            try:
                print(c.recv().get("content"), flush=True)
            except Closed:
                return 0


if __name__ == "__main__":
    sys.exit(main())
