"""Helpers for the chat-server tests: start replicas, connect clients."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from parley_harness import Daemon, amqp_url_as, free_port, wait_for  # noqa: E402
from lab_client import LabClient, Closed  # noqa: E402,F401

# Limits off unless a test sets them: tests open many connections from
# 127.0.0.1 and send fast.
OPEN_LIMITS = {"CHAT_MAX_CONN_PER_IP": "0", "CHAT_FLOOD_RATE": "0",
               "CHAT_SENDQ_MAX": "0"}


class ChatServer:
    """One chat-server replica on free ports."""

    def __init__(self, env=None, amqp_url=None, name="chat-server", limits=True):
        self.port = free_port()
        self.admin_port = free_port()
        e = dict(OPEN_LIMITS) if limits else {}
        e.update({"ADMIN_PORT": str(self.admin_port), "AMQP_HEARTBEAT": "5"})
        if amqp_url:
            e["AMQP_URL"] = amqp_url_as(amqp_url, "chat")  # the chat servers' user
        else:
            e["AMQP_URL"] = ""
        e.update(env or {})
        self.env = e
        self.daemon = Daemon("chat-server", [str(self.port)], env=e, log_name=name)
        self.daemon.wait_http(self.admin_port)

    def client(self, **kw):
        return LabClient("127.0.0.1", self.port, **kw)

    def text(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return TextClient(s)

    def restart(self):
        self.daemon.stop()
        self.daemon.start()
        self.daemon.wait_http(self.admin_port)

    def stop(self):
        rc = self.daemon.stop()
        self.check_log()
        return rc

    def check_log(self):
        """Every state change is checked (conn_set_state, user_set_state):
        a refused one is a bug of the server, whatever the test was."""
        refused = [line for line in self.daemon.log().splitlines()
                   if "_set_state: refused" in line]
        if refused:
            raise AssertionError("state transitions refused:\n" + "\n".join(refused[:5]))

    def metric(self, name):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/metrics",
                                    timeout=5) as r:
            text = r.read().decode()
        total = 0
        found = False
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
                found = True
        return total if found else None


class TextClient:
    """A telnet/nc-like plain-text session."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send_line(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def send_raw(self, data):
        self.sock.sendall(data)

    def line(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line in time; have {self.buf!r}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError(f"no line in time; have {self.buf!r}")
            if not data:
                raise Closed("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8")

    def expect(self, text, timeout=10):
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(0.01, deadline - time.monotonic()))
            seen.append(line)
            if line == text:
                return seen

    def close(self):
        self.sock.close()


def drain(client, seconds=0.3):
    """Read whatever arrives within seconds."""
    got = []
    try:
        while True:
            got.append(client.recv(seconds))
    except TimeoutError:
        return got


def wait_users(client, expected, timeout=10):
    """Poll /who until the room lists exactly the expected set of users."""
    def ok():
        client.chat("/who")
        msgs = client.recv_until(lambda m: m.get("content", "").startswith("SERVER: users in"))
        users = msgs[-1]["content"].split(": ", 2)[2]
        return set(u.strip() for u in users.split(",")) == set(expected)
    return wait_for(ok, timeout, f"/who to list {sorted(expected)}", interval=0.1)
