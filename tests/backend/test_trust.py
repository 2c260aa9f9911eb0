"""Least privilege on the broker (SPEC §3.5, docs/threat-model.md).

With the chat servers' RabbitMQ credentials no account, session or password action
gets through: the broker refuses publishing to the RPC queue and consuming it, and the
back end refuses account actions on the chat servers' queue, leaving every row as it
was. The front end's credentials cannot consume the RPC queue either, and chat actions
sent with them are refused. Each refusal has a control: the same call from the right
daemon's identity succeeds, so a refusal cannot come from a malformed request.
"""
import json
import unittest
import uuid

import pika
import psycopg2

import parley_harness as h


def hexid(n):
    return (uuid.uuid4().hex * 2)[:n]


class BrokerTrust(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = h.backend(cls.services, replicas=1, test="backend_trust")[0]
        cls.front = h.RpcClient(cls.services.amqp_url, role="front")
        cls.chat = h.RpcClient(cls.services.amqp_url, role="chat")
        cls.victim = f"victim{uuid.uuid4().hex[:10]}@example.com"
        cls.session = hexid(64)
        assert cls.front.call("REGISTER", {"email": cls.victim, "hash": "H-victim"})["success"]
        assert cls.front.call("SESSION_CREATE", {"id_hash": cls.session, "email": cls.victim,
                                                 "idle_s": 600, "absolute_s": 3600})["success"]

    @classmethod
    def tearDownClass(cls):
        cls.front.close()
        cls.chat.close()
        assert cls.backend.stop() == 0

    def rows(self, newbie, account):
        with psycopg2.connect(self.services.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT email, hash FROM users WHERE email IN (%s, %s) ORDER BY 1",
                        (self.victim, newbie))
            users = cur.fetchall()
            cur.execute("SELECT id_hash, last_seen, expires_at FROM sessions "
                        "WHERE email = %s ORDER BY 1", (self.victim,))
            sessions = cur.fetchall()
            cur.execute("SELECT attempt_id FROM login_failures WHERE account = %s",
                        (account,))
            return users, sessions, cur.fetchall()

    def account_calls(self):
        newbie, account = f"new{uuid.uuid4().hex[:10]}@example.com", hexid(64)
        return newbie, account, [
            ("GETHASH", {"email": self.victim}),
            ("SESSION_CREATE", {"id_hash": hexid(64), "email": self.victim,
                                "idle_s": 31536000, "absolute_s": 31536000}),
            ("SETHASH", {"email": self.victim, "old_hash": "H-victim", "hash": "H-evil"}),
            ("REGISTER", {"email": newbie, "hash": "H-new"}),
            ("LOGIN_PREPARE", {"email": self.victim, "account": account, "client": "x",
                               "account_max": 5, "account_window_s": 900,
                               "client_max": 50, "client_window_s": 900}),
            ("LOGIN_FAILED", {"attempt_id": hexid(32), "account": account, "client": "x"}),
            ("SESSION_GET", {"id_hash": self.session}),
            ("SESSION_DELETE", {"id_hash": self.session}),
        ]

    def assertRefused(self, reply, what):
        self.assertEqual(reply, {"success": False, "message": "not authorised"}, what)

    def test_chat_credentials_get_no_account_action_and_change_no_row(self):
        newbie, account, calls = self.account_calls()
        before = self.rows(newbie, account)
        for action, data in calls:
            self.assertRefused(self.chat.call(action, data), action)
        self.assertEqual(self.rows(newbie, account), before)
        self.assertIn(f"rpc refused action=GETHASH queue=chat-request "
                      f"exchange=parley.chat-rpc user_id=-", self.backend.log())
        # Control: the same requests from the front end's identity are carried out.
        for action, data in calls:
            self.assertIs(self.front.call(action, data)["success"], True, action)
        self.assertNotEqual(self.rows(newbie, account), before)

    def test_chat_credentials_cannot_publish_to_the_rpc_queue(self):
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url_for("chat")))
        ch = conn.channel()
        ch.confirm_delivery()
        body = json.dumps({"action": "GETHASH", "data": {"email": self.victim}}).encode()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as cm:
            ch.basic_publish("", h.RPC_QUEUE, body,
                             pika.BasicProperties(reply_to="amq.rabbitmq.reply-to"))
        self.assertEqual(cm.exception.reply_code, 403)
        self.assertIn("amq.default", cm.exception.reply_text)
        conn.close()

    def broker_refuses(self, role, attempt):
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url_for(role)))
        ch = conn.channel()
        ch.confirm_delivery()  # so that a refused publish raises here
        try:
            with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as cm:
                attempt(ch)
            self.assertEqual(cm.exception.reply_code, 403, cm.exception)
        finally:
            conn.close()

    def test_only_the_back_end_reads_the_rpc_queues(self):
        for role in ("chat", "front"):
            for queue in (h.RPC_QUEUE, "chat-request"):
                with self.subTest(role=role, queue=queue):
                    self.broker_refuses(role, lambda ch: ch.basic_consume(
                        queue, lambda *a: None))
                    self.broker_refuses(role, lambda ch: ch.basic_get(queue))
                    self.broker_refuses(role, lambda ch: ch.queue_purge(queue))
        # Control: the back end's user may read it (passive: no consumer left behind).
        ch = pika.BlockingConnection(
            pika.URLParameters(self.services.amqp_url_for("back"))).channel()
        ch.basic_get("chat-request")  # nothing there; allowed
        ch.connection.close()

    def test_chat_credentials_cannot_declare_or_rebind_the_rpc_queue(self):
        self.broker_refuses("chat", h.declare_rpc_queue)
        self.broker_refuses("chat", lambda ch: ch.queue_bind(h.RPC_QUEUE, "parley.chat-rpc",
                                                             h.RPC_QUEUE))
        self.broker_refuses("chat", lambda ch: ch.queue_declare(
            "parley.chat.dlx", arguments={"x-dead-letter-exchange": "",
                                          "x-dead-letter-routing-key": h.RPC_QUEUE}))

    def test_front_credentials_get_no_chat_action(self):
        calls = [("CHAT_CLAIM", {"owner": hexid(32), "token": "t", "name": "trustee",
                                 "ttl_s": 30}),
                 ("CHAT_HISTORY", {"room": "general", "limit": 5}),
                 ("CHAT_RETIRE", {"owner": hexid(32)})]
        for action, data in calls:
            self.assertRefused(self.front.call(action, data), action)
        self.broker_refuses("front", lambda ch: ch.basic_publish(
            "parley.chat-rpc", "chat-request", b"{}"))
        for action, data in calls:  # control
            self.assertIs(self.chat.call(action, data)["success"], True, action)

    def test_chat_accounts_each_action_from_its_one_caller(self):
        """Tickets and tokens: the chat servers cannot mint them, the front end cannot
        redeem them; a refused redeem does not use the ticket up."""
        session = hexid(64)
        user = f"chat{uuid.uuid4().hex[:10]}@example.com"
        assert self.front.call("REGISTER", {"email": user, "hash": "H"})["success"]
        assert self.front.call("SESSION_CREATE", {"id_hash": session, "email": user,
                                                  "idle_s": 600, "absolute_s": 3600})["success"]
        name = f"tr{uuid.uuid4().hex[:8]}"
        minting = [("CHATNAME_SET", {"id_hash": session, "name": name}),
                   ("CHATNAME_GET", {"id_hash": session}),
                   ("TICKET_CREATE", {"id_hash": session}),
                   ("TOKEN_CREATE", {"id_hash": session, "label": "laptop"}),
                   ("TOKEN_LIST", {"id_hash": session})]
        for action, data in minting:
            self.assertRefused(self.chat.call(action, data), action)
        self.assertIsNone(self.front.call("CHATNAME_GET", {"id_hash": session})["name"])
        replies = {a: self.front.call(a, d) for a, d in minting}  # control
        for action, reply in replies.items():
            self.assertIs(reply["success"], True, (action, reply))
        ticket, token = replies["TICKET_CREATE"]["ticket"], replies["TOKEN_CREATE"]["token"]
        for action, data in [("CHAT_TICKET_REDEEM", {"ticket": ticket}),
                             ("CHAT_TOKEN_REDEEM", {"token": token})]:
            self.assertRefused(self.front.call(action, data), action)
            reply = self.chat.call(action, data)  # control: still usable
            self.assertIs(reply["success"], True, (action, reply))
            self.assertEqual(reply["name"], name)

    def test_front_cannot_smuggle_into_the_chat_queue(self):
        """The default exchange reaches every queue, and the front end may dead-letter
        through it: such messages arrive on the chat queue from the wrong exchange."""
        direct = self.front.send("CHAT_HISTORY", {"room": "general", "limit": 5})
        self.front.ch.basic_publish(
            "", "chat-request",
            json.dumps({"action": "CHAT_HISTORY", "data": {"room": "general", "limit": 5}}),
            pika.BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id="smuggled"))
        dlq = self.front.ch.queue_declare("", exclusive=True, arguments={
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "chat-request",
            "x-message-ttl": 1}).method.queue
        self.front.ch.basic_publish(
            "", dlq, json.dumps({"action": "CHAT_RETIRE", "data": {"owner": hexid(32)}}),
            pika.BasicProperties(reply_to="amq.rabbitmq.reply-to",
                                 correlation_id="deadlettered"))
        for reply in self.front.wait([direct, "smuggled", "deadlettered"]):
            self.assertRefused(reply, "via the default exchange")

    def test_user_id_cannot_be_forged(self):
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url_for("front")))
        ch = conn.channel()
        ch.confirm_delivery()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as cm:
            ch.basic_publish("", h.RPC_QUEUE, b"{}",
                             pika.BasicProperties(user_id="parley-back"))
        self.assertEqual(cm.exception.reply_code, 406)
        conn.close()

    def test_book_style_front_end_works_with_front_credentials(self):
        """The book's front end: exclusive server-named reply queue, basic_get, no
        correlation_id, no user_id."""
        conn = pika.BlockingConnection(pika.URLParameters(self.services.amqp_url_for("front")))
        ch = conn.channel()
        h.declare_rpc_queue(ch)
        reply_q = ch.queue_declare("", exclusive=True).method.queue
        ch.basic_publish("", h.RPC_QUEUE,
                         json.dumps({"action": "GETHASH", "data": {"email": self.victim}}),
                         pika.BasicProperties(reply_to=reply_q))
        body = h.wait_for(lambda: ch.basic_get(reply_q, auto_ack=True)[2], 20, "reply",
                          interval=0.05)
        self.assertIs(json.loads(body)["success"], True)
        conn.close()


if __name__ == "__main__":
    unittest.main()
