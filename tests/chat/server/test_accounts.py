"""Chat under an account (docs/chat.md "Accounts"): a browser's ticket and a terminal's
token redeemed through the real back end, names that belong to accounts, one account
several times in one room on two replicas, and sign-outs closing exactly the matching
connections. Accounts and sessions are made with back-end RPC as the front end does."""

import struct
import unittest
import uuid

from chat_harness import ChatServer, Closed, drain
from parley_harness import RpcClient, backend, free_port, shared_services, wait_for
from test_websocket import WS

ORIGIN = "http://localhost:8080"
FEATURES = ["meta", "error"]


class Accounts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = shared_services()
        cls.backends = backend(cls.services, replicas=1, test="chat_accounts")
        cls.front = RpcClient(cls.services.amqp_url, role="front")
        cls.replicas = []
        for i in range(2):
            ws_port = free_port()
            srv = ChatServer(amqp_url=cls.services.amqp_url, name=f"chat-acct-{i}",
                             env={"CHAT_WS_PORT": str(ws_port), "CHAT_WS_ORIGINS": ORIGIN})
            srv.ws_port = ws_port
            cls.replicas.append(srv)
        cls.a, cls.b = cls.replicas
        for srv in cls.replicas:  # events published before the bind would be missed
            wait_for(lambda: "chat account events consumed" in srv.daemon.log(), 30,
                     "the account events queue")

    @classmethod
    def tearDownClass(cls):
        cls.front.close()
        for srv in cls.replicas:
            srv.stop()
        for be in cls.backends:
            assert be.stop() == 0
        for daemon in [srv.daemon for srv in cls.replicas] + cls.backends:
            log = daemon.log()
            assert cls.secrets and "chat account login" in "".join(
                srv.daemon.log() for srv in cls.replicas)
            for secret in cls.secrets:
                assert secret not in log, "a ticket or token in a daemon's log"

    secrets = []

    # ---- helpers ----

    def call(self, action, data):
        reply = self.front.call(action, data)
        self.assertIs(reply["success"], True, (action, reply))
        return reply

    def session(self, email):
        sid = uuid.uuid4().hex * 2
        self.call("SESSION_CREATE", {"id_hash": sid, "email": email, "idle_s": 600,
                                     "absolute_s": 3600})
        return sid

    def account(self):
        """(email, session id_hash, chat name) of a new account with a name."""
        email = f"c{uuid.uuid4().hex[:10]}@example.com"
        self.call("REGISTER", {"email": email, "hash": "H"})
        sid = self.session(email)
        name = f"Acc{uuid.uuid4().hex[:6]}"
        self.call("CHATNAME_SET", {"id_hash": sid, "name": name})
        return email, sid, name

    def ticket(self, sid):
        t = self.call("TICKET_CREATE", {"id_hash": sid})["ticket"]
        self.secrets.append(t)
        return t

    def token(self, sid):
        made = self.call("TOKEN_CREATE", {"id_hash": sid, "label": "terminal"})
        self.secrets.append(made["token"])
        return made["token"], made["id"]

    def ws(self, srv):
        c = WS(srv.ws_port, origin=ORIGIN)
        self.addCleanup(c.close)
        self.assertEqual(c.status, 101)
        return c

    def ws_login(self, srv, ticket, name):
        c = self.ws(srv)
        c.send({"type": "HELLO", "ticket": ticket, "features": FEATURES})
        self.assertEqual(c.recv()["content"], f"Welcome {name}! You can now start to chat!")
        return c

    def lab(self, srv):
        c = srv.client()
        self.addCleanup(c.close)
        return c

    def token_login(self, srv, token, name):
        c = self.lab(srv)
        c.send({"type": "HELLO", "token": token, "features": FEATURES})
        self.assertEqual(c.recv()["content"], f"Welcome {name}! You can now start to chat!")
        return c

    def expect_error(self, client, code):
        msg = client.recv()
        self.assertEqual((msg["type"], msg["code"]), ("ERROR", code), msg)
        return msg

    def join(self, client, room):
        client.send({"type": "CHAT", "content": f"/join {room}"})
        if isinstance(client, WS):
            while not client.recv()["content"].startswith(f"SERVER: you are now in {room}"):
                pass
        else:
            client.recv_until(lambda m: m.get("content", "").startswith(
                f"SERVER: you are now in {room}"))

    def closed_signed_out(self, client):
        """The server ends the connection for a sign-out (10 s: a loaded machine)."""
        if isinstance(client, WS):
            client.sock.settimeout(10)
            while True:
                op, payload = client.recv_frame()
                if op == 8:
                    break
            self.assertEqual(struct.unpack("!H", payload[:2])[0], 1008)
            self.assertEqual(payload[2:], b"signed out")
        else:
            got = client.wait_closed(timeout=10)
            self.assertIn({"type": "ERROR", "code": "auth", "content": "signed out"}, got)

    def still_open(self, client):
        client.send({"type": "CHAT", "content": "/who"})
        if isinstance(client, WS):
            while not client.recv()["content"].startswith("SERVER: users in"):
                pass
        else:
            client.recv_until(lambda m: m.get("content", "").startswith("SERVER: users in"))

    # ---- tests ----

    def test_ticket_logs_a_websocket_in_once(self):
        _, sid, name = self.account()
        t = self.ticket(sid)
        self.ws_login(self.a, t, name)
        again = self.ws(self.b)
        again.send({"type": "HELLO", "ticket": t, "features": FEATURES})
        msg = again.recv()
        self.assertEqual((msg["type"], msg["code"]), ("ERROR", "auth"))
        # The connection waits for another HELLO, like after a taken name.
        again.send({"type": "HELLO", "ticket": self.ticket(sid), "features": FEATURES})
        self.assertEqual(again.recv()["type"], "WELCOME")
        # A ticket is for the browser only; a lab client must send a token.
        lab = self.lab(self.a)
        lab.send({"type": "HELLO", "ticket": self.ticket(sid), "features": FEATURES})
        self.expect_error(lab, "auth")

    def test_token_name_must_match_and_guests_stay_guests(self):
        _, sid, name = self.account()
        token, _ = self.token(sid)
        wrong = self.lab(self.a)
        wrong.send({"type": "HELLO", "token": token, "name": "someone_else",
                    "features": FEATURES})
        self.expect_error(wrong, "auth")
        c = self.lab(self.b)
        c.send({"type": "HELLO", "token": token, "name": name.lower(), "features": FEATURES})
        self.assertEqual(c.recv()["type"], "WELCOME")
        drain(c)
        c.send({"type": "CHAT", "content": "/nick another_name"})
        self.expect_error(c, "account_name")
        bad = self.lab(self.a)
        bad.send({"type": "HELLO", "token": "0" * 64, "features": FEATURES})
        self.expect_error(bad, "auth")
        guest = self.lab(self.a)
        guest.login(f"guest{uuid.uuid4().hex[:6]}", FEATURES)

    def test_guests_are_refused_an_accounts_name(self):
        _, sid, name = self.account()
        # Nobody online under it: the back end's row refuses it on every replica.
        g = self.lab(self.b)
        g.hello(name.upper(), FEATURES)
        self.assertEqual(self.expect_error(g, "reserved")["content"],
                         "That name belongs to an account")
        self.ws_login(self.a, self.ticket(sid), name)
        # Online here: the local name map refuses it; the guest may retry.
        g2 = self.lab(self.a)
        g2.hello(name, FEATURES)
        self.expect_error(g2, "reserved")
        g2.login(f"g{uuid.uuid4().hex[:6]}", FEATURES)
        drain(g2)
        g2.chat(f"/nick {name.lower()}")
        self.expect_error(g2, "reserved")
        text = self.a.text()
        self.addCleanup(text.close)
        text.send_line(name)
        text.expect("SERVER: That name belongs to an account")

    def test_one_account_twice_in_a_room_on_two_replicas(self):
        _, sid, name = self.account()
        token, _ = self.token(sid)
        room = f"r{uuid.uuid4().hex[:8]}"
        browser = self.ws_login(self.a, self.ticket(sid), name)
        tab2 = self.ws_login(self.a, self.ticket(sid), name)
        term = self.token_login(self.b, token, name)
        for c in (browser, tab2, term):
            self.join(c, room)
        guest = self.lab(self.a)
        gname = f"g{uuid.uuid4().hex[:6]}"
        guest.login(gname, FEATURES)
        guest.chat(f"/join {room}")
        guest.expect_content(f"SERVER: you are now in {room} with: {name}, {gname}")
        guest.chat("/who")
        guest.expect_content(f"SERVER: users in {room}: {name}, {gname}")
        guest.chat("hello all")
        for c in (browser, tab2):
            c.expect_content(f"{gname}: hello all")
        term.expect_content(f"{gname}: hello all")
        # Leaving with one of three connections: still here, no announcement.
        tab2.send({"type": "QUIT"})
        guest.chat("/who")
        seen = guest.expect_content(f"SERVER: users in {room}: {name}, {gname}")
        self.assertNotIn(f"SERVER: {name} left the chat", [m.get("content") for m in seen])
        # A private message reaches each of the account's connections.
        guest.chat(f"/msg {name} psst")
        browser.expect_content(f"{gname} (private): psst")
        term.expect_content(f"{gname} (private): psst")

    def test_sign_outs_close_exactly_the_matching_connections(self):
        email, sid1, name = self.account()
        sid2 = self.session(email)
        t1, t1_id = self.token(sid2)
        t2, _ = self.token(sid2)
        ws1 = self.ws_login(self.a, self.ticket(sid1), name)
        ws2 = self.ws_login(self.b, self.ticket(sid2), name)
        term1 = self.token_login(self.a, t1, name)
        term2 = self.token_login(self.b, t2, name)
        _, osid, oname = self.account()
        other = self.ws_login(self.a, self.ticket(osid), oname)
        for c in (term1, term2):
            drain(c)
        # Log out everywhere else (from session 2): session 1's socket closes.
        self.call("SESSION_REVOKE_OTHERS", {"id_hash": sid2})
        self.closed_signed_out(ws1)
        for c in (ws2, term1, term2, other):
            self.still_open(c)
        self.call("TOKEN_REVOKE", {"id_hash": sid2, "id": t1_id})
        self.closed_signed_out(term1)
        for c in (ws2, term2, other):
            self.still_open(c)
        self.call("ACCOUNT_DELETE", {"id_hash": sid2, "hash": "H", "account": "b" * 64})
        self.closed_signed_out(ws2)
        self.closed_signed_out(term2)
        self.still_open(other)
        # The deleted account's name stays refused to guests.
        g = self.lab(self.b)
        g.hello(name, FEATURES)
        self.expect_error(g, "reserved")

    def test_password_change_keeps_the_tab_and_a_later_sign_out_finds_it(self):
        email, laptop, name = self.account()
        phone = self.session(email)
        ws = self.ws_login(self.a, self.ticket(laptop), name)
        token, _ = self.token(phone)
        term = self.token_login(self.b, token, name)
        drain(term)
        moved = uuid.uuid4().hex * 2
        self.call("PASSWORD_CHANGE", {"id_hash": laptop, "old_hash": "H", "hash": "H2",
                                      "new_id_hash": moved, "account": "c" * 64})
        self.closed_signed_out(term)  # tokens go with the old password
        self.still_open(ws)  # the laptop's session goes on, under a new handle
        self.call("SESSION_CREATE", {"id_hash": phone, "email": email, "idle_s": 600,
                                     "absolute_s": 3600})
        self.call("SESSION_REVOKE_OTHERS", {"id_hash": phone})
        self.closed_signed_out(ws)

    def test_logout_closes_the_sessions_socket(self):
        _, sid, name = self.account()
        ws = self.ws_login(self.b, self.ticket(sid), name)
        self.call("SESSION_DELETE", {"id_hash": sid})
        self.closed_signed_out(ws)


class NoAccounts(unittest.TestCase):
    """CHAT_STORE=memory has no back end: a clear error, and the HELLO may be retried."""

    def test_accounts_unavailable(self):
        srv = ChatServer(env={"CHAT_STORE": "memory"})
        try:
            c = srv.client()
            c.send({"type": "HELLO", "token": "a" * 64, "features": FEATURES})
            msg = c.recv()
            self.assertEqual((msg["code"], msg["content"]),
                             ("auth", "accounts unavailable, try again"))
            c.login("guest_after", FEATURES)
            c.close()
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
