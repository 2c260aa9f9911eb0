"""chat-server's WebSocket listener (CHAT_WS_PORT, docs/websocket.md): the
lab protocol's JSON, one object per text message, next to framed clients."""

import asyncio
import base64
import json
import os
import signal
import socket
import struct
import time
import unittest

import websockets

from chat_harness import ChatServer, drain
from parley_harness import free_port, shared_services

ORIGIN = "http://localhost:8080"


class WS:
    """A minimal client written for the tests: it can also break the rules."""

    def __init__(self, port, origin=None, version="13", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        head = (f"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: {version}\r\n")
        if origin:
            head += f"Origin: {origin}\r\n"
        self.sock.sendall((head + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._read()
        resp, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(resp.split(b" ", 2)[1])

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        return data

    def send_frame(self, op, payload, mask=True, fin=True):
        b0 = (0x80 if fin else 0) | op
        n = len(payload)
        m = 0x80 if mask else 0
        if n < 126:
            hdr = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, m | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, m | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
            hdr += key
        self.sock.sendall(hdr + payload)

    def send(self, obj):
        self.send_frame(1, json.dumps(obj).encode())

    def recv_frame(self):
        while True:
            if len(self.buf) >= 2:
                n = self.buf[1] & 0x7F
                off = 2
                if n == 126:
                    n, off = struct.unpack("!H", self.buf[2:4])[0], 4
                elif n == 127:
                    n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
                assert not self.buf[1] & 0x80, "server frames are unmasked"
                if len(self.buf) >= off + n:
                    op = self.buf[0] & 0x0F
                    payload = self.buf[off:off + n]
                    self.buf = self.buf[off + n:]
                    return op, payload
            self.buf += self._read()

    def recv(self):
        op, payload = self.recv_frame()
        assert op == 1, (op, payload)
        return json.loads(payload)

    def expect_content(self, content):
        while True:
            m = self.recv()
            if m.get("content") == content:
                return m

    def close_code(self):
        """Skip to the server's close frame; its code, then EOF must follow."""
        while True:
            op, payload = self.recv_frame()
            if op == 8:
                break
        code = struct.unpack("!H", payload[:2])[0] if payload else 1005
        self.send_frame(8, payload[:2])
        try:
            while self._read():
                pass
        except EOFError:
            pass
        return code

    def close(self):
        self.sock.close()


class WebSocket(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws_port = free_port()
        cls.srv = ChatServer(env={"CHAT_WS_PORT": str(cls.ws_port),
                                  "CHAT_WS_ORIGINS": f"http://other.example, {ORIGIN}",
                                  "CHAT_FRAME_MAX": "1024", "CHAT_HISTORY": "5"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def ws(self, **kw):
        c = WS(self.ws_port, **kw)
        self.addCleanup(c.close)
        return c

    def login(self, name, room):
        c = self.ws(origin=ORIGIN)
        self.assertEqual(c.status, 101)
        c.send({"type": "HELLO", "name": name, "features": ["meta"]})
        self.assertEqual(c.recv()["type"], "WELCOME")
        c.send({"type": "CHAT", "content": f"/join {room}"})
        c.expect_content(f"SERVER: you are now in {room} with: " +
                         ", ".join(sorted([name] + self.others)))
        return c

    def test_handshake(self):
        self.assertEqual(self.ws(origin=ORIGIN).status, 101)
        self.assertEqual(self.ws(origin="http://other.example").status, 101)
        self.assertEqual(self.ws().status, 101)  # no Origin: not a browser
        self.assertEqual(self.ws(origin="http://evil.example").status, 403)
        self.assertEqual(self.ws(origin=ORIGIN, version="8").status, 426)

    def test_ws_and_lab_users_share_a_room(self):
        lab = self.srv.client()
        self.addCleanup(lab.close)
        lab.login("lab_w1")
        lab.chat("/join wr1")
        drain(lab)
        lab.chat("before you came")
        drain(lab)
        self.others = ["lab_w1"]
        ws = self.login("ws_w1", "wr1")
        hist = ws.expect_content("lab_w1: before you came")
        self.assertTrue(hist.get("history"))
        lab.expect_content("SERVER: ws_w1 joined the room")
        ws.send({"type": "CHAT", "content": "hello from a browser ü"})
        lab.expect_content("ws_w1: hello from a browser ü")
        lab.chat("hello back")
        live = ws.expect_content("lab_w1: hello back")
        self.assertEqual(live["from"], "lab_w1")
        # A page that reconnects drops lines it has shown by their id: the
        # same live and replayed (docs/chat.md, meta).
        self.assertRegex(live["id"], r"^[0-9a-f]+-[0-9]+$")
        self.assertIn("id", hist)
        self.others = ["lab_w1", "ws_w1"]
        time.sleep(0.1)                         # appends are batched (20 ms)
        again = self.login("ws_w2", "wr1").expect_content("lab_w1: hello back")
        self.assertEqual((again.get("history"), again.get("id")), (True, live["id"]))
        lab.expect_content("SERVER: ws_w2 joined the room")
        ws.send({"type": "QUIT"})
        self.assertEqual(ws.close_code(), 1000)
        lab.expect_content("SERVER: ws_w1 left the chat")

    def test_protocol_errors_close_with_codes(self):
        c = self.ws()
        c.send_frame(1, b'{"type":"QUIT"}', mask=False)
        self.assertEqual(c.close_code(), 1002)
        c = self.ws()
        c.send_frame(1, b"x" * 1025)
        self.assertEqual(c.close_code(), 1009)
        c = self.ws()
        c.send_frame(1, b'{"type":"HELLO","name":"\xed\xa0\x80"}')
        self.assertEqual(c.close_code(), 1007)
        c = self.ws()
        c.send_frame(2, b"\x00\x01")
        self.assertEqual(c.close_code(), 1003)

    def test_library_client_ping_and_close(self):
        async def run():
            async with websockets.connect(f"ws://127.0.0.1:{self.ws_port}/ws",
                                          origin=ORIGIN) as w:
                await w.send(json.dumps({"type": "HELLO", "name": "lib_w1"}))
                self.assertEqual(json.loads(await w.recv())["type"], "WELCOME")
                await asyncio.wait_for(await w.ping(b"beat"), 5)
                await w.close()
                return w.close_code
        self.assertEqual(asyncio.run(run()), 1000)

    def test_drain_closes_with_1001(self):
        port = free_port()
        srv = ChatServer(env={"CHAT_WS_PORT": str(port), "CHAT_DRAIN_TIMEOUT": "5"},
                         name="chat-drain")
        try:
            c = WS(port)
            c.send({"type": "HELLO", "name": "drain_w1"})
            self.assertEqual(c.recv()["type"], "WELCOME")
            srv.daemon.signal(signal.SIGTERM)
            self.assertEqual(c.close_code(), 1001)
            c.close()
            # the drain ends as soon as the WebSocket is gone
            self.assertEqual(srv.daemon.proc.wait(timeout=4), 0)
        finally:
            srv.stop()

    def test_websocket_ping_for_liveness(self):
        port = free_port()
        srv = ChatServer(env={"CHAT_WS_PORT": str(port), "CHAT_PING_INTERVAL": "1",
                              "CHAT_PING_TIMEOUT": "2"}, name="chat-ping")
        try:
            c = WS(port)
            c.send({"type": "HELLO", "name": "ping_w1"})
            self.assertEqual(c.recv()["type"], "WELCOME")
            c.recv()  # the connected users
            op, _ = c.recv_frame()
            self.assertEqual(op, 9)  # a WebSocket ping, not a JSON PING
            c.send_frame(10, b"")  # answered: still open after the timeout
            op, _ = c.recv_frame()
            self.assertEqual(op, 9)
            # not answered: closed
            self.assertEqual(c.close_code(), 1000)
            c.close()
        finally:
            srv.stop()


class WebSocketCluster(unittest.TestCase):
    def test_ws_user_and_lab_user_on_two_replicas(self):
        services = shared_services()
        ws_port = free_port()
        a = ChatServer(amqp_url=services.amqp_url, name="chat-ws-a",
                       env={"CHAT_WS_PORT": str(ws_port), "CHAT_STORE": "memory"})
        self.addCleanup(a.stop)
        b = ChatServer(amqp_url=services.amqp_url, name="chat-ws-b",
                       env={"CHAT_STORE": "memory"})
        self.addCleanup(b.stop)
        lab = b.client()
        self.addCleanup(lab.close)
        lab.login("lab_wc")
        lab.chat("/join wc1")
        drain(lab)
        ws = WS(ws_port)
        self.addCleanup(ws.close)
        ws.send({"type": "HELLO", "name": "ws_wc"})
        self.assertEqual(ws.recv()["type"], "WELCOME")
        ws.send({"type": "CHAT", "content": "/join wc1"})
        lab.expect_content("SERVER: ws_wc joined the room")
        ws.send({"type": "CHAT", "content": "across replicas"})
        lab.expect_content("ws_wc: across replicas")
        lab.chat("and back")
        ws.expect_content("lab_wc: and back")


if __name__ == "__main__":
    unittest.main()
