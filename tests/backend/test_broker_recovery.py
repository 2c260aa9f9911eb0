"""Issue 12: every daemon serves again within 5 s of RabbitMQ's return after
a restart, even when the broker was away long enough for the ordinary
backoff to reach its 10 s cap (lib/mq.c retries at least every second
while the link was up recently).  Private servers: it restarts RabbitMQ."""
import os
import socket
import sys
import threading
import time
import unittest

import parley_harness as h

sys.path.insert(0, os.path.join(h.ROOT, "tests", "frontend"))
sys.path.insert(0, os.path.join(h.ROOT, "tests", "chat", "server"))
import fe_client as fc  # noqa: E402
from chat_harness import ChatServer  # noqa: E402

TEST = "backend_broker_recovery"
OUTAGE_S = 20     # longer than the old schedule's climb to its cap (~16 s)
LIMIT_S = 5


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class BrokerRecovery(unittest.TestCase):
    def test_all_daemons_serve_within_5s_of_the_broker(self):
        services = h.private_services()
        rabbit = services.rabbitmq
        be = h.backend(services, replicas=1, test=TEST)[0]
        fe = fc.frontend(services, test=TEST)
        chat = ChatServer(amqp_url=services.amqp_url, name="chat-server")
        ready = {"back-end": be.admin_port, "front-end": fe.port,
                 "chat-server": chat.admin_port}

        def readyz(port):
            return h.http_status(f"http://127.0.0.1:{port}/readyz", timeout=1) == 200

        down_at = time.monotonic()
        rabbit.stop()
        for name, port in ready.items():
            h.wait_for(lambda: not readyz(port), 30, f"{name} to notice the loss")
        time.sleep(max(0, OUTAGE_S - (time.monotonic() - down_at)))

        # The broker is back when its AMQP port accepts connections.
        back = {}

        def watch():
            while not port_open(rabbit.port):
                time.sleep(0.02)
            back["t"] = time.monotonic()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        rabbit.start()
        watcher.join(30)
        pending = dict(ready)
        took = {}
        deadline = back["t"] + 30
        while pending and time.monotonic() < deadline:
            for name, port in list(pending.items()):
                if readyz(port):
                    took[name] = time.monotonic() - back["t"]
                    del pending[name]
            time.sleep(0.05)
        print("serving again after the broker's return: " +
              ", ".join(f"{n} {t:.2f}s" for n, t in took.items()), flush=True)
        self.assertEqual(pending, {}, "daemons not serving 30 s after the broker's return")
        for name, t in took.items():
            self.assertLess(t, LIMIT_S, f"{name} took {t:.2f}s")
        # Serving means answering, not only /readyz: a log-in page round trip.
        b = fc.Browser(fe.port)
        self.assertEqual(b.register(fc.email("rec"), fc.password()).status, 303)
        for d in (be, fe, chat.daemon):
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
