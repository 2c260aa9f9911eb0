"""Back end under faults: a replica killed mid-load, RabbitMQ and PostgreSQL
restarted under it.  Uses private servers, since it restarts them."""
import os
import subprocess
import time
import unittest
import uuid

import parley_harness as h

TEST = "backend_faults"


class BackendFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.private_services()

    def rpc_eventually(self, action, data, timeout=60):
        """Call until the system answers (it is recovering); return the reply."""
        def attempt():
            try:
                rpc = h.RpcClient(self.services.amqp_url)
                try:
                    return rpc.call(action, data, timeout=3)
                finally:
                    rpc.close()
            except Exception:
                return None
        return h.wait_for(attempt, timeout, f"{action} to be answered", interval=0.5)

    def unacked(self):
        out = self.services.rabbitmq.ctl("list_queues", "name", "messages_unacknowledged")
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "request":
                return int(parts[1])
        return 0

    def test_kill_9_replica_with_200_in_flight(self):
        """A replica dies holding requests: the other one answers them all,
        and the redelivered REGISTERs create no duplicate and fail nobody."""
        import psycopg2
        # Hold inserts back so replica A is surely mid-request when it dies.
        lock = psycopg2.connect(self.services.database_url)
        lock.cursor().execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        a = h.backend(self.services, replicas=1, test=TEST,
                      env={"BACKEND_PREFETCH": "32"})[0]
        rpc = h.RpcClient(self.services.amqp_url)
        run = uuid.uuid4().hex[:8]
        emails = [f"k{run}{i}@example.com" for i in range(200)]
        cids = [rpc.send("REGISTER", {"email": e, "hash": "H" + e}) for e in emails]
        h.wait_for(lambda: self.unacked() == 64, 20, "replica A to hold 2x32 requests")
        b = h.backend(self.services, replicas=1, test=TEST)[0]
        a.kill()  # SIGKILL: its unacknowledged requests go back to the queue
        lock.rollback()
        lock.close()
        replies = rpc.wait(cids, timeout=60)
        bad = [r for r in replies if r != {"success": True}]
        self.assertEqual(bad, [])
        rows = self.services.postgres.query(
            f"SELECT count(*), count(DISTINCT email) FROM users WHERE email LIKE 'k{run}%'")
        self.assertEqual(rows, [["200", "200"]])
        for e in emails[::40]:
            self.assertEqual(rpc.call("GETHASH", {"email": e})["hash"], "H" + e)
        rpc.close()
        self.assertTrue("rpc request redelivered" in b.log(), "no request was redelivered")
        self.assertEqual(b.stop(), 0)

    def test_sigterm_mid_load_loses_nothing(self):
        a, b = h.backend(self.services, replicas=2, test=TEST)
        rpc = h.RpcClient(self.services.amqp_url)
        run = uuid.uuid4().hex[:8]
        cids = [rpc.send("REGISTER", {"email": f"t{run}{i}@example.com", "hash": "h"})
                for i in range(300)]
        rpc.wait(cids[:1], timeout=20)
        self.assertEqual(a.stop(), 0)
        self.assertTrue(all(r["success"] for r in rpc.wait(cids[1:], timeout=60)))
        rpc.close()
        self.assertEqual(b.stop(), 0)

    def test_rabbitmq_restart(self):
        be = h.backend(self.services, replicas=1, test=TEST)[0]
        e = f"r{uuid.uuid4().hex[:8]}@example.com"
        self.assertTrue(self.rpc_eventually("REGISTER", {"email": e, "hash": "h"})["success"])
        self.services.rabbitmq.stop()
        h.wait_for(lambda: h.http_status(f"http://127.0.0.1:{be.admin_port}/readyz") == 503,
                   30, "readyz to report the broker loss")
        self.services.rabbitmq.start()
        start = time.monotonic()
        self.assertEqual(self.rpc_eventually("GETHASH", {"email": e})["hash"], "h")
        print(f"recovered {time.monotonic() - start:.1f}s after RabbitMQ came back")
        be.wait_http(be.admin_port, timeout=30)
        self.assertTrue(be.alive())
        self.assertIn("amqp connection lost", be.log())
        self.assertEqual(be.stop(), 0)

    def test_silent_broker_is_detected_by_heartbeats(self):
        """A frozen broker keeps TCP open but says nothing: only heartbeats
        (serviced by our own poll deadlines, see docs/architecture.md) notice."""
        be = h.backend(self.services, replicas=1, test=TEST, env={"AMQP_HEARTBEAT": "2"})[0]
        self.services.rabbitmq.pause()
        try:
            start = time.monotonic()
            h.wait_for(lambda: h.http_status(f"http://127.0.0.1:{be.admin_port}/readyz") == 503,
                       20, "readyz to report the silent broker")
            print(f"silent broker detected after {time.monotonic() - start:.1f}s")
            self.assertIn("heartbeat missed", be.log())
        finally:
            self.services.rabbitmq.resume()
        be.wait_http(be.admin_port, timeout=60)
        e = f"s{uuid.uuid4().hex[:8]}@example.com"
        self.assertTrue(self.rpc_eventually("REGISTER", {"email": e, "hash": "h"})["success"])
        self.assertEqual(be.stop(), 0)

    def test_quorum_request_queue(self):
        """RPC_QUEUE_TYPE=quorum (Kubernetes: survives a broker pod's loss);
        a replica configured differently says why it cannot start consuming."""
        import pika
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url))
        conn.channel().queue_delete("request")
        conn.channel().queue_delete("chat-request")  # RPC_QUEUE_TYPE is for both
        quorum = {"RPC_QUEUE_TYPE": "quorum"}
        be = h.backend(self.services, replicas=1, test=TEST, env=quorum)[0]
        queues = self.services.rabbitmq.ctl("list_queues", "name", "type")
        self.assertIn("request\tquorum", queues)
        self.assertIn("chat-request\tquorum", queues)
        out = subprocess.run([os.path.join(h.BIN, "rpc-call"), "5000", "GETHASH",
                              '{"email":"q@example.com"}'], capture_output=True, text=True,
                             env=dict(os.environ, **quorum,
                                      AMQP_URL=self.services.amqp_url_for("front")),
                             timeout=30).stdout
        self.assertTrue(out.startswith('ok {"success":false'), out)
        classic = h.Daemon("back-end", env={"AMQP_URL": self.services.amqp_url,
                                            "DATABASE_URL": self.services.database_url,
                                            "ADMIN_PORT": str(h.free_port())},
                           log_name="back-end-classic", test=TEST)
        # The book's declaration (non-durable, no arguments) against it.
        h.wait_for(lambda: "PRECONDITION_FAILED - inequivalent arg" in classic.log(), 20,
                   "the mismatch to be logged")
        self.assertEqual(classic.stop(), 0)
        self.assertEqual(be.stop(), 0)
        conn.channel().queue_delete("request")
        conn.channel().queue_delete("chat-request")
        conn.close()

    def test_rabbitmq_crash(self):
        be = h.backend(self.services, replicas=1, test=TEST)[0]
        self.services.rabbitmq.kill()
        self.services.rabbitmq.start()
        e = f"c{uuid.uuid4().hex[:8]}@example.com"
        self.assertTrue(self.rpc_eventually("REGISTER", {"email": e, "hash": "h"})["success"])
        self.assertEqual(be.stop(), 0)

    def test_postgres_restart_and_outage(self):
        be = h.backend(self.services, replicas=1, test=TEST)[0]
        rpc = h.RpcClient(self.services.amqp_url)
        e = f"p{uuid.uuid4().hex[:8]}@example.com"
        self.assertTrue(rpc.call("REGISTER", {"email": e, "hash": "h"})["success"])
        # After a restart the back end reconnects by itself, within seconds.
        self.services.postgres.restart()
        start = time.monotonic()
        h.wait_for(lambda: rpc.call("GETHASH", {"email": e}).get("hash") == "h", 10,
                   "the back end to serve again after a PostgreSQL restart", interval=0.1)
        print(f"served again {time.monotonic() - start:.2f}s after PostgreSQL restarted")
        # During an outage requests fail fast with a clear message.
        self.services.postgres.stop()
        start = time.monotonic()
        reply = rpc.call("GETHASH", {"email": e}, timeout=10)
        self.assertEqual(reply, {"success": False, "message": "database unavailable"})
        self.assertLess(time.monotonic() - start, 5)
        h.wait_for(lambda: h.http_status(f"http://127.0.0.1:{be.admin_port}/readyz") == 503,
                   30, "readyz to report the database loss")
        self.services.postgres.start()
        h.wait_for(lambda: rpc.call("GETHASH", {"email": e}).get("hash") == "h", 30,
                   "the back end to reconnect to PostgreSQL", interval=0.5)
        self.assertIn("db connect failed", be.log())
        rpc.close()
        self.assertEqual(be.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
