"""Back end RPC actions against real RabbitMQ and PostgreSQL (docs/backend.md)."""
import hashlib
import json
import threading
import time
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

    # ---- chat under an account (back-end/action_chatacct.c) ----

    def account(self):
        """A new account with a live session: (email, id_hash)."""
        e, sid = email(), uuid.uuid4().hex * 2
        assert self.rpc.call("REGISTER", {"email": e, "hash": "H"})["success"]
        assert self.rpc.call("SESSION_CREATE", {"id_hash": sid, "email": e, "idle_s": 600,
                                                "absolute_s": 3600})["success"]
        return e, sid

    def sql(self, query, args=()):
        import psycopg2
        with psycopg2.connect(self.services.database_url) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None

    def events(self):
        import pika
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url))
        self.addCleanup(conn.close)
        ch = conn.channel()
        ch.exchange_declare("parley.events", "topic", durable=True)
        q = ch.queue_declare("", exclusive=True).method.queue
        ch.queue_bind(q, "parley.events", "account.#")

        def wait(key, account_id, timeout=10):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                method, _, body = ch.basic_get(q, auto_ack=True)
                if method is None:
                    time.sleep(0.05)
                elif method.routing_key == key and \
                        json.loads(body)["account_id"] == account_id:
                    return json.loads(body)
            raise AssertionError(f"no {key} event for account {account_id}")
        return wait

    def named_account(self):
        e, sid = self.account()
        name = f"Acct{uuid.uuid4().hex[:8]}"
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": name}),
                         {"success": True, "name": name})
        ticket = self.rpc.call("TICKET_CREATE", {"id_hash": sid})["ticket"]
        account_id = self.chat.call("CHAT_TICKET_REDEEM", {"ticket": ticket})["account_id"]
        return e, sid, name, account_id

    def test_chat_name_is_the_accounts_for_good(self):
        e, sid = self.account()
        self.assertEqual(self.rpc.call("CHATNAME_GET", {"id_hash": sid}),
                         {"success": True, "name": None})
        for bad, code in [("two words", "invalid"), ("", "invalid"), ("x" * 33, "invalid"),
                          ("Server", "reserved")]:
            reply = self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": bad})
            self.assertEqual((reply["success"], reply["code"]), (False, code), bad)
        name = f"Own{uuid.uuid4().hex[:8]}"
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": name}),
                         {"success": True, "name": name})
        # Again (a redelivery): the same answer; another name: refused.
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": name}),
                         {"success": True, "name": name})
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": "Other" + name})
                         ["code"], "has_name")
        self.assertEqual(self.rpc.call("CHATNAME_GET", {"id_hash": sid})["name"], name)
        _, sid2 = self.account()
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid2, "name": name.upper()})
                         ["code"], "taken")
        # Guests on every replica: refused with code "reserved".
        reply = self.chat.call("CHAT_CLAIM", {"owner": "r1", "token": "t", "name": name.lower(),
                                              "ttl_s": 30})
        self.assertEqual((reply["success"], reply.get("code")), (False, "reserved"))
        # A name a guest holds right now is taken; once the lease lapses it can be had.
        guest = f"Guest{uuid.uuid4().hex[:8]}"
        assert self.chat.call("CHAT_CLAIM", {"owner": "r1", "token": "t", "name": guest,
                                             "ttl_s": 30})["success"]
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid2, "name": guest})
                         ["code"], "taken")
        self.sql("UPDATE chat_names SET lease_until = now() - interval '1 s' "
                 "WHERE name = %s", (guest,))
        self.assertEqual(self.rpc.call("CHATNAME_SET", {"id_hash": sid2, "name": guest})
                         ["success"], True)
        self.assertEqual(self.rpc.call("CHATNAME_GET", {"id_hash": "0" * 64})["code"],
                         "signed_out")

    def test_ticket_is_single_use_short_lived_and_stored_hashed(self):
        e, sid = self.account()
        self.assertEqual(self.rpc.call("TICKET_CREATE", {"id_hash": sid})["code"], "no_name")
        name = f"Tix{uuid.uuid4().hex[:8]}"
        assert self.rpc.call("CHATNAME_SET", {"id_hash": sid, "name": name})["success"]
        reply = self.rpc.call("TICKET_CREATE", {"id_hash": sid})
        self.assertEqual((reply["expires_in"], reply["name"]), (30, name))
        ticket = reply["ticket"]
        self.assertRegex(ticket, "^[0-9a-f]{64}$")
        self.assertEqual(self.sql("SELECT count(*) FROM chat_tickets WHERE ticket_hash = %s",
                                  (hashlib.sha256(ticket.encode()).hexdigest(),)), [(1,)])
        self.assertEqual(self.sql("SELECT count(*) FROM chat_tickets WHERE ticket_hash = %s",
                                  (ticket,)), [(0,)])
        got = self.chat.call("CHAT_TICKET_REDEEM", {"ticket": ticket})
        self.assertEqual((got["success"], got["name"], got["session"]), (True, name, sid[:16]))
        self.assertIsInstance(got["account_id"], int)
        self.assertIs(self.chat.call("CHAT_TICKET_REDEEM", {"ticket": ticket})["success"],
                      False, "used twice")
        expired = self.rpc.call("TICKET_CREATE", {"id_hash": sid})["ticket"]
        self.sql("UPDATE chat_tickets SET expires_at = now() - interval '1 s' "
                 "WHERE ticket_hash = %s", (hashlib.sha256(expired.encode()).hexdigest(),))
        self.assertIs(self.chat.call("CHAT_TICKET_REDEEM", {"ticket": expired})["success"],
                      False, "expired")
        orphan = self.rpc.call("TICKET_CREATE", {"id_hash": sid})["ticket"]
        assert self.rpc.call("SESSION_DELETE", {"id_hash": sid})["success"]
        self.assertIs(self.chat.call("CHAT_TICKET_REDEEM", {"ticket": orphan})["success"],
                      False, "session ended")
        self.assertIs(self.chat.call("CHAT_TICKET_REDEEM", {"ticket": "zz"})["success"], False)

    def test_tokens_hashed_listed_used_revoked(self):
        wait = self.events()
        e, sid, name, account_id = self.named_account()
        for label in ["", "x" * 65, "tab\there"]:
            self.assertEqual(self.rpc.call("TOKEN_CREATE", {"id_hash": sid, "label": label})
                             ["code"], "invalid", label)
        made = self.rpc.call("TOKEN_CREATE", {"id_hash": sid, "label": "laptop"})
        token, tid = made["token"], made["id"]
        self.assertRegex(token, "^[0-9a-f]{64}$")
        self.assertEqual(self.sql("SELECT token_hash FROM chat_tokens WHERE id = %s", (tid,)),
                         [(hashlib.sha256(token.encode()).hexdigest(),)])
        listed = self.rpc.call("TOKEN_LIST", {"id_hash": sid})["tokens"]
        self.assertEqual([(t["id"], t["label"], t["last_used"]) for t in listed],
                         [(tid, "laptop", None)])
        self.assertRegex(listed[0]["created"], r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
        self.assertNotIn(token, json.dumps(listed))
        self.assertEqual(self.chat.call("CHAT_TOKEN_REDEEM", {"token": token}),
                         {"success": True, "account_id": account_id, "name": name,
                          "token_id": tid})
        self.assertIsNotNone(self.rpc.call("TOKEN_LIST", {"id_hash": sid})["tokens"][0]
                             ["last_used"])
        # Someone else's session cannot revoke it.
        _, other = self.account()
        self.assertEqual(self.rpc.call("TOKEN_REVOKE", {"id_hash": other, "id": tid}),
                         {"success": True, "revoked": False})
        self.assertEqual(self.rpc.call("TOKEN_REVOKE", {"id_hash": sid, "id": str(tid)}),
                         {"success": True, "revoked": True})
        ev = wait("account.token_revoked", account_id)
        self.assertEqual(ev["token_id"], tid)
        self.assertIs(self.chat.call("CHAT_TOKEN_REDEEM", {"token": token})["success"], False)
        self.assertEqual(self.rpc.call("TOKEN_LIST", {"id_hash": sid})["tokens"], [])
        self.assertEqual(self.rpc.call("TOKEN_REVOKE", {"id_hash": sid, "id": tid})["revoked"],
                         False)
        for i in range(20):
            assert self.rpc.call("TOKEN_CREATE", {"id_hash": sid, "label": f"t{i}"})["success"]
        self.assertEqual(self.rpc.call("TOKEN_CREATE", {"id_hash": sid, "label": "21st"})
                         ["code"], "too_many")

    def test_password_change_revokes_tokens_and_logout_is_an_event(self):
        wait = self.events()
        e, sid, name, account_id = self.named_account()
        tids = [self.rpc.call("TOKEN_CREATE", {"id_hash": sid, "label": f"t{i}"})["id"]
                for i in range(2)]
        new_sid = uuid.uuid4().hex * 2
        assert self.rpc.call("PASSWORD_CHANGE", {"id_hash": sid, "old_hash": "H", "hash": "H2",
                                                 "new_id_hash": new_sid,
                                                 "account": "a" * 64})["changed"]
        ev = wait("account.password_changed", account_id)
        self.assertEqual(sorted(ev["tokens"]), sorted(tids))
        self.assertEqual(ev["session_moved"], {"from": sid[:16], "to": new_sid[:16]})
        self.assertEqual(self.rpc.call("TOKEN_LIST", {"id_hash": new_sid})["tokens"], [])
        assert self.rpc.call("SESSION_DELETE", {"id_hash": new_sid})["success"]
        ev = wait("account.sessions_revoked", account_id)
        self.assertEqual((ev["sessions"], ev["reason"]), ([new_sid[:16]], "logout"))

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
