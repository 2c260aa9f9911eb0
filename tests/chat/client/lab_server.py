"""A protocol-faithful stand-in for the lab's Python chat server (docs/chat.md, Protocol).

Frames are a 4-byte big-endian length and UTF-8 JSON.  Like the lab's
server.py it answers HELLO with WELCOME and "CONNECTED USERS: ...",
announces "SERVER: N is now online" to the others, relays CHAT as "N: T" to
everyone but the sender, answers QUIT with BYE (and, like the lab, does not
close the socket afterwards), and tells the others "SERVER: N left the chat".
It knows no features: the HELLO "features" field is ignored.

For tests it also records every frame received, can inject raw frames,
drop every connection (a crash), stop and start again on the same port,
and, only when built with extended=True, speak the Parley extensions the
client relies on, with docs/chat.md's texts: "meta" fields, /join and
/nick, ERROR name_taken and PING.  Run alone: python3 lab_server.py PORT [--extended].
"""

import json
import socket
import struct
import sys
import threading
import time


def send_frame(sock, obj_or_bytes):
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
        json.dumps(obj_or_bytes).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(sock):
    head = recv_exact(sock, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    body = recv_exact(sock, n)
    if body is None:
        return None
    return json.loads(body.decode())


class _Client:
    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.name = None
        self.room = "lobby"
        self.features = []
        self.lock = threading.Lock()

    def send(self, obj):
        with self.lock:
            try:
                send_frame(self.sock, obj)
            except OSError:
                pass


class LabServer:
    def __init__(self, port=0, host="127.0.0.1", extended=False):
        self.host = host
        self.port = port
        self.extended = extended
        self.clients = {}
        self.lock = threading.Lock()
        self.received = []          # (name, frame) in arrival order
        self.hellos = []            # every HELLO frame
        self.connections = 0        # accepted so far
        self.socks = []             # every socket, closed by stop()
        self.listener = None
        self.running = False

    # -- life cycle --
    def start(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((self.host, self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.running = True
        threading.Thread(target=self._accept, args=(self.listener,),
                         daemon=True).start()
        return self

    def stop(self):
        """Stop listening and drop every connection (like a crash)."""
        self.running = False
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        self.drop_all()
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            s.close()

    def drop_all(self):
        with self.lock:
            clients = list(self.clients.values())
            self.clients.clear()
        for c in clients:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.sock.close()

    # -- test helpers --
    def names(self):
        with self.lock:
            return sorted(c.name for c in self.clients.values() if c.name)

    def client(self, name):
        with self.lock:
            for c in self.clients.values():
                if c.name == name:
                    return c
        return None

    def inject(self, name, obj_or_bytes):
        """Send a frame (a dict, or raw JSON bytes) to the user name."""
        c = self.client(name)
        if c is None:
            raise KeyError(name)
        with c.lock:
            send_frame(c.sock, obj_or_bytes)

    def inject_bytes(self, name, raw):
        c = self.client(name)
        with c.lock:
            c.sock.sendall(raw)

    def chats_from(self, name):
        return [f.get("content") for n, f in list(self.received)
                if n == name and f.get("type") == "CHAT"]

    def types_from(self, name):
        return [f.get("type") for n, f in list(self.received) if n == name]

    # -- the lab's behaviour --
    def _accept(self, listener):
        while self.running:
            try:
                sock, addr = listener.accept()
            except OSError:
                return
            c = _Client(sock, addr)
            with self.lock:
                self.connections += 1
                self.clients[id(c)] = c
                self.socks.append(sock)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _others(self, c, room_only=True):
        with self.lock:
            return [o for o in self.clients.values()
                    if o is not c and o.name is not None
                    and (not self.extended or not room_only or o.room == c.room)]

    def _chat(self, to, content, c=None, frm="SERVER"):
        msg = {"type": "CHAT", "content": content}
        if self.extended and "meta" in to.features:
            msg.update(room=to.room, ts=int(time.time() * 1000), **{"from": frm})
        to.send(msg)

    def _serve(self, c):
        while True:
            try:
                msg = recv_frame(c.sock)
            except (OSError, ValueError):
                msg = None
            if msg is None:
                self._disconnect(c)
                return
            who = msg.get("name") if msg.get("type") == "HELLO" else c.name
            self.received.append((who, msg))
            t = msg.get("type")
            if t == "HELLO":
                self._hello(c, msg)
            elif t == "CHAT" and c.name is not None:
                self._message(c, msg.get("content", ""))
            elif t == "QUIT" and c.name is not None:
                c.send({"type": "BYE",
                        "content": f"You now left the chat. See you soon {c.name}!"})
                self._disconnect(c, close=False)  # the lab leaves it open
                return

    def _hello(self, c, msg):
        name = msg.get("name")
        self.hellos.append(msg)
        if self.extended:
            c.features = msg.get("features") or []
            taken = name in self.names()
            if taken and "error" in c.features:
                c.send({"type": "ERROR", "code": "name_taken",
                        "content": f"The name {name} is taken; choose another."})
                return
        c.name = name
        c.send({"type": "WELCOME",
                "content": f"Welcome {c.name}! You can now start to chat!"})
        with self.lock:
            here = [o.name for o in self.clients.values() if o.name is not None
                    and (not self.extended or o.room == c.room)]
        self._chat(c, "CONNECTED USERS: {}".format(", ".join(here)))
        for o in self._others(c):
            self._chat(o, f"SERVER: {c.name} is now online")

    def _message(self, c, content):
        words = content.split()
        if self.extended and len(words) == 2 and words[0] == "/join":
            for o in self._others(c):
                self._chat(o, f"SERVER: {c.name} left the room")
            c.room = words[1].lower()
            with self.lock:
                here = [o.name for o in self.clients.values()
                        if o.name is not None and o.room == c.room and o is not c]
            self._chat(c, "SERVER: you are now in {} with: {}".format(
                c.room, ", ".join(here + [c.name])))
            for o in self._others(c):
                self._chat(o, f"SERVER: {c.name} joined the room")
            return
        if self.extended and len(words) == 2 and words[0] == "/nick":
            old, c.name = c.name, words[1]
            self._chat(c, f"SERVER: you are now known as {c.name}")
            for o in self._others(c):
                self._chat(o, f"SERVER: {old} is now known as {c.name}")
            return
        for o in self._others(c):
            self._chat(o, f"{c.name}: {content}", frm=c.name)

    def _disconnect(self, c, close=True):
        with self.lock:
            present = self.clients.pop(id(c), None) is not None
        if close:
            try:
                c.sock.close()
            except OSError:
                pass
        if present and c.name is not None:
            for o in self._others(c):
                self._chat(o, f"SERVER: {c.name} left the chat")


if __name__ == "__main__":
    srv = LabServer(int(sys.argv[1]), host="0.0.0.0",
                    extended="--extended" in sys.argv).start()
    print(f"The server is listening at 0.0.0.0, port {srv.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
