#!/usr/bin/python3
"""Forged `sync` flood against one chat server (issue 11 item 6, run by hand):
    bench/chat/sync_flood.py [USERS [SYNCS]]     (defaults 200 users, 2,000 syncs)

Starts its own RabbitMQ and one chat-server (PARLEY_BIN, default build/bin;
CHAT_STORE=memory), logs USERS users in, then publishes SYNCS snapshot requests
from made-up origins with the chat servers' credentials, as anyone holding
them could, and counts what the server sends back on `replica.*` (where
snapshots go) in the next 3 s: bytes out per byte in.  Point PARLEY_BIN at an
older build to compare.
"""

import json
import os
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
sys.path.insert(0, os.path.join(ROOT, "tests", "chat", "server"))
os.environ.setdefault("PARLEY_BIN", os.path.join(ROOT, "build", "bin"))

import pika  # noqa: E402

from chat_harness import ChatServer  # noqa: E402
from parley_harness import AMQP_USERS, amqp_url_as, shared_services  # noqa: E402


def main():
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    syncs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    services = shared_services()
    srv = ChatServer(amqp_url=services.amqp_url, env={"CHAT_STORE": "memory"},
                     name="sync-flood")
    clients = []
    for i in range(users):
        cl = srv.client()
        cl.login(f"user_{i:05d}_{'x' * 16}")
        clients.append(cl)
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url_as(services.amqp_url, "chat")))
    ch = conn.channel()
    q = ch.queue_declare("parley.chat.bench-" + uuid.uuid4().hex[:8], exclusive=True,
                         auto_delete=True).method.queue
    ch.queue_bind(q, "parley.chat", "replica.*")
    out = {"n": 0, "bytes": 0}

    def got(ch_, method, props, body):
        if json.loads(body).get("k") == "snap":
            out["n"] += 1
            out["bytes"] += len(body)

    ch.basic_consume(q, got, auto_ack=True)
    props = pika.BasicProperties(user_id=AMQP_USERS["chat"])
    sent = 0
    start = time.monotonic()
    for _ in range(syncs):
        body = json.dumps({"k": "sync", "o": uuid.uuid4().hex[:16]}).encode()
        sent += len(body)
        ch.basic_publish("parley.chat", "presence", body, props)
    took = time.monotonic() - start
    conn.process_data_events(time_limit=3)
    print(f"{users} users, {syncs} forged syncs ({sent} B) in {took:.1f} s: "
          f"{out['n']} snapshot messages, {out['bytes']} B out in the next 3 s "
          f"({out['bytes'] / sent:.1f} B out per B in)")
    conn.close()
    for cl in clients:
        cl.close()
    srv.stop()


if __name__ == "__main__":
    main()
