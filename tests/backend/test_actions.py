"""Back end RPC actions against real RabbitMQ and PostgreSQL (docs/backend.md)."""
import json
import threading
import unittest
import uuid

import parley_harness as h


def email():
    return f"u{uuid.uuid4().hex[:12]}@example.com"


class BackendActions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = h.backend(cls.services, replicas=1, test="backend_actions")[0]
        cls.rpc = h.RpcClient(cls.services.amqp_url)
        cls.chat = h.RpcClient(cls.services.amqp_url, role="chat")

    @classmethod
    def tearDownClass(cls):
        cls.rpc.close()
        cls.chat.close()
        status = cls.backend.stop()
        assert status == 0, f"back-end exited {status} on SIGTERM"

    def test_register_then_gethash(self):
        e = email()
        self.assertEqual(self.rpc.call("REGISTER", {"email": e, "hash": "H1"}),
                         {"success": True})
        self.assertEqual(self.rpc.call("GETHASH", {"email": e}),
                         {"success": True, "hash": "H1"})

    def test_register_existing_user(self):
        e = email()
        self.rpc.call("REGISTER", {"email": e, "hash": "H1"})
        self.assertEqual(self.rpc.call("REGISTER", {"email": e, "hash": "H2"}),
                         {"success": False, "message": "User already exists"})
        self.assertEqual(self.rpc.call("GETHASH", {"email": e})["hash"], "H1")

    def test_register_replayed_is_idempotent(self):
        e = email()
        for _ in range(2):
            self.assertEqual(self.rpc.call("REGISTER", {"email": e, "hash": "same"}),
                             {"success": True})

    def test_gethash_unknown_user(self):
        reply = self.rpc.call("GETHASH", {"email": email()})
        self.assertIs(reply["success"], False)
        self.assertNotIn("hash", reply)

    def test_concurrent_identical_registers(self):
        """The same REGISTER delivered twice at once: one row, two successes."""
        e = email()
        cids = [self.rpc.send("REGISTER", {"email": e, "hash": "Z"}) for _ in range(8)]
        replies = self.rpc.wait(cids)
        self.assertTrue(all(r == {"success": True} for r in replies), replies)
        rows = self._count(e)
        self.assertEqual(rows, 1)

    def test_concurrent_different_registers(self):
        """Two people racing for one email: exactly one wins."""
        e = email()
        cids = [self.rpc.send("REGISTER", {"email": e, "hash": f"h{i}"}) for i in range(8)]
        replies = self.rpc.wait(cids)
        self.assertEqual(sum(r["success"] for r in replies), 1, replies)
        self.assertEqual(self._count(e), 1)

    def test_chat_name_claims_race_one_winner(self):
        """Fresh chat replicas racing for one name (CHAT_CLAIM): one lease."""
        for attempt in range(20):
            name = f"racer{uuid.uuid4().hex[:8]}"
            cids = [self.chat.send("CHAT_CLAIM", {"owner": uuid.uuid4().hex,
                                                  "token": f"t{i}", "name": name,
                                                  "ttl_s": 30})
                    for i in range(6)]
            replies = self.chat.wait(cids)
            self.assertEqual(sum(r["success"] for r in replies), 1, replies)

    def _count(self, e):
        import psycopg2
        with psycopg2.connect(self.services.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM users WHERE email = %s", (e,))
            return cur.fetchone()[0]

    def assertFailure(self, reply, fragment):
        self.assertIs(reply["success"], False, reply)
        self.assertIn(fragment, reply["message"])

    def test_bad_requests_get_clear_errors(self):
        cases = [
            (b"", "malformed JSON"),
            (b"not json", "malformed JSON"),
            (b"[1,2,3]", "not an object"),
            (b"42", "not an object"),
            (b'{"data":{}}', "missing field 'action'"),
            (b'{"action":7,"data":{}}', "'action' must be a string"),
            (b'{"action":"REGISTER"}', "missing field 'data'"),
            (b'{"action":"REGISTER","data":"x"}', "'data' must be an object"),
            (b'{"action":"DROP TABLE users","data":{}}', "unknown action"),
            (b'{"action":"REGISTER","data":{"hash":"h"}}', "missing field 'email'"),
            (b'{"action":"REGISTER","data":{"email":"a@b.c"}}', "missing field 'hash'"),
            (b'{"action":"REGISTER","data":{"email":1,"hash":"h"}}', "must be a string"),
            (b'{"action":"GETHASH","data":{"email":null}}', "must be a string"),
            (b'{"action":"GETHASH","data":{"email":""}}', "must not be empty"),
            (b'{"action":"GETHASH","data":{"email":"\xff\xfe"}}', "malformed JSON"),
            (b'{"action":"GETHASH","data":{"email":"a\\u0000b"}}', "malformed JSON"),
            (json.dumps({"action": "GETHASH", "data": {"email": "x" * 300}}).encode(),
             "longer than 254"),
            (json.dumps({"action": "REGISTER",
                         "data": {"email": email(), "hash": "h" * 10000}}).encode(),
             "longer than 512"),
            (json.dumps({"action": "GETHASH", "data": {"email": "x" * 70000}}).encode(),
             "larger than 65536"),
        ]
        for body, fragment in cases:
            with self.subTest(body=body[:60]):
                self.assertFailure(self.rpc.call_raw(body), fragment)

    def test_oversized_request_refused_unread(self):
        """A 32 MiB request is refused without being held in memory (issue 11)."""
        def peak_kb():
            with open(f"/proc/{self.backend.proc.pid}/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
        self.rpc.call("GETHASH", {"email": email()})
        before = peak_kb()
        body = b'{"action":"GETHASH","data":{"email":"' + b"a" * (32 << 20) + b'"}}'
        reply = self.rpc.call_raw(body, timeout=60)
        after = peak_kb()
        print(f"32 MiB request: back-end peak RSS {before} kB before, {after} kB after",
              flush=True)
        self.assertIs(reply["success"], False)
        self.assertIn("larger than", reply["message"])
        self.assertLess(after - before, 8 * 1024)
        self.assertIs(self.rpc.call("GETHASH", {"email": email()})["success"], False)

    def test_sql_metacharacters_are_data(self):
        e = "o'brien\"; DROP TABLE users; --@example.com"
        self.assertEqual(self.rpc.call("REGISTER", {"email": e, "hash": "h'h"}),
                         {"success": True})
        self.assertEqual(self.rpc.call("GETHASH", {"email": e})["hash"], "h'h")

    def test_request_without_reply_to_is_dropped_not_stuck(self):
        import pika
        props = pika.BasicProperties(correlation_id="nowhere")
        for _ in range(3):
            self.rpc.ch.basic_publish("", "request", b'{"action":"GETHASH","data":{}}', props)
        # The consumer is not stuck on them: a normal request still works.
        self.assertEqual(self.rpc.call("GETHASH", {"email": email()})["success"], False)
        h.wait_for(lambda: "without reply_to dropped" in self.backend.log(), 10, "drop log")

    def test_many_requests_in_parallel(self):
        emails = [email() for _ in range(200)]
        cids = [self.rpc.send("REGISTER", {"email": e, "hash": "p"}) for e in emails]
        self.assertTrue(all(r["success"] for r in self.rpc.wait(cids, timeout=60)))

    def test_concurrent_callers_get_their_own_replies(self):
        errors = []

        def caller(n):
            try:
                rpc = h.RpcClient(self.services.amqp_url)
                e = email()
                rpc.call("REGISTER", {"email": e, "hash": f"hash{n}"})
                if rpc.call("GETHASH", {"email": e})["hash"] != f"hash{n}":
                    errors.append(n)
                rpc.close()
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])

    def test_metrics_and_health(self):
        port = self.backend.admin_port
        self.assertEqual(h.http_status(f"http://127.0.0.1:{port}/healthz"), 200)
        self.assertEqual(h.http_status(f"http://127.0.0.1:{port}/readyz"), 200)
        self.assertEqual(h.http_status(f"http://127.0.0.1:{port}/nope"), 404)
        import urllib.request
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        self.assertIn(b"parley_rpc_requests_total", body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
