#!/usr/bin/env python3
"""Pipe-mode receive throughput of chat-client, by hand (not in CI).

A stand-in server accepts one client, answers HELLO with WELCOME and then
writes N CHAT frames as fast as the socket takes them; we time how long the
client needs to print all N lines on its standard output.  The reference,
measured in the same run, is a lab-style Python receiver (recv the header,
recv the body, json.loads, print + flush: what the lab's client.py does per
message).

  python3 bench/chat-client/bench_pipe.py [--bin build/bin] [-n 200000]
"""

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

REFERENCE = r'''
import json, socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
def frame(o):
    b = json.dumps(o).encode(); s.sendall(struct.pack(">I", len(b)) + b)
def recv(n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c: return None
        buf += c
    return buf
frame({"type": "HELLO", "name": sys.stdin.readline().strip()})
while True:
    h = recv(4)
    if h is None: break
    m = json.loads(recv(struct.unpack(">I", h)[0]))
    print(m.get("content", ""), flush=True)
'''


def serve(listener, n, payload_len):
    conn, _ = listener.accept()
    head = conn.recv(4)
    (size,) = struct.unpack(">I", head)
    while size > 0:
        size -= len(conn.recv(size))
    def frame(obj):
        b = json.dumps(obj).encode()
        return struct.pack(">I", len(b)) + b
    conn.sendall(frame({"type": "WELCOME", "content": "Welcome b! You can now start to chat!"}))
    text = "x" * payload_len
    chunk = b"".join(frame({"type": "CHAT", "content": f"bob: {i:08d} {text}"})
                     for i in range(1000))
    for _ in range(n // 1000):
        conn.sendall(chunk)
    conn.close()


def run(argv, n, payload_len):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    t = threading.Thread(target=serve, args=(listener, n, payload_len), daemon=True)
    t.start()
    start = time.monotonic()
    p = subprocess.Popen(argv + ["127.0.0.1", str(port)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, CHAT_CLIENT_RECONNECT_MAX="1"))
    p.stdin.write(b"b\n")
    p.stdin.flush()
    got = 0
    for line in p.stdout:
        if line.startswith(b"bob: "):
            got += 1
            if got == n // 1000 * 1000:
                break
    elapsed = time.monotonic() - start
    p.kill()
    p.wait()
    p.stdin.close()
    p.stdout.close()
    listener.close()
    return got, elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "build", "bin"))
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--size", type=int, default=40, help="message text bytes")
    args = ap.parse_args()
    client = [os.path.join(args.bin, "chat-client")]
    ref = [sys.executable, "-c", REFERENCE]
    rows = []
    for name, argv in (("chat-client (pipe mode)", client),
                       ("reference: lab-style Python receiver", ref)):
        got, secs = run(argv, args.n, args.size)
        rows.append((name, got, secs, got / secs))
    print(f"{'receiver':40} {'messages':>9} {'seconds':>8} {'msgs/s':>10}")
    for name, got, secs, rate in rows:
        print(f"{name:40} {got:9d} {secs:8.2f} {rate:10.0f}")


if __name__ == "__main__":
    main()
