"""Account pages over HTTP against real RabbitMQ, PostgreSQL and back end
(issue 14): /account, change password, the sessions list, delete account,
the operator's recovery link, the events on parley.events, two replicas,
and the back-end actions' idempotence."""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

TEST = "frontend_account"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/131.0 Safari/537.36")


def db(services, sql, params=()):
    import psycopg2
    with psycopg2.connect(services.database_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def handle_of(cookie):
    return hashlib.sha256(cookie.encode()).hexdigest()[:16]


class Browser(fc.Browser):
    """fc.Browser that sends a User-Agent, like a real one."""

    def __init__(self, port, agent=FIREFOX, **kw):
        super().__init__(port, **kw)
        self.agent = agent

    def raw(self, method, path, body=None, headers=None, **kw):
        hdrs = {"User-Agent": self.agent}
        hdrs.update(headers or {})
        return super().raw(method, path, body=body, headers=hdrs, **kw)

    def on(self, port):
        """The same cookies, through another front-end replica."""
        other = Browser(port, agent=self.agent, source=self.source)
        other.cookies = self.cookies
        return other


class Events:
    """A private queue bound to parley.events: what the chat servers will see."""

    def __init__(self, amqp_url):
        import pika
        self.conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.ch = self.conn.channel()
        self.ch.exchange_declare("parley.events", "topic", durable=True)
        self.queue = self.ch.queue_declare("", exclusive=True).method.queue
        self.ch.queue_bind(self.queue, "parley.events", "account.#")

    def wait(self, key, email, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            method, props, body = self.ch.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            ev = json.loads(body)
            if method.routing_key == key and ev.get("email") == email:
                self.last_props = props
                return ev
        raise AssertionError(f"no {key} event for {email}")

    def close(self):
        self.conn.close()


class AccountHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = fc.backend(cls.services, test=TEST)
        cls.fe = fc.frontend(cls.services, test=TEST, name="front-end-a")
        cls.fe2 = fc.frontend(cls.services, test=TEST, name="front-end-b")
        cls.rpc = h.RpcClient(cls.services.amqp_url)
        cls.chat_rpc = h.RpcClient(cls.services.amqp_url, role="chat")  # as a chat server

    @classmethod
    def tearDownClass(cls):
        cls.rpc.close()
        cls.chat_rpc.close()
        for d in (cls.fe2, cls.fe):
            assert d.stop() == 0
        assert cls.backend.stop() == 0

    def signed_up(self, agent=FIREFOX):
        b, m, p = Browser(self.fe.port, agent=agent), fc.email("acct"), fc.password()
        self.assertEqual(b.register(m, p).status, 303)
        return b, m, p

    def second(self, m, p, agent=CHROME_MAC, fe=None):
        b = Browser((fe or self.fe2).port, agent=agent)
        self.assertEqual(b.login(m, p).status, 303)
        return b

    def change(self, b, current, new, token=None):
        return b.post("/account/password", {
            "current_password": current, "new_password": new,
            "csrf_token": token if token is not None else b.token("/account")})

    def hash_of(self, m):
        rows = db(self.services, "SELECT hash FROM users WHERE email = %s", (m,))
        return rows[0][0] if rows else None

    # --- /account ------------------------------------------------------------

    def test_pages_need_a_session(self):
        b = Browser(self.fe.port)
        for path in ("/account", "/account/delete"):
            r = b.get(path)
            self.assertEqual((r.status, r.header("Location")), (303, "/login"), path)
        tok = b.token("/login")
        for path in ("/account/password", "/account/sessions/revoke",
                     "/account/sessions/revoke-others", "/account/delete"):
            r = b.post(path, {"csrf_token": tok})
            self.assertEqual((r.status, r.header("Location")), (303, "/login"), path)

    def test_account_page_details_and_sessions(self):
        b, m, p = self.signed_up()
        self.assertIn('href="/account"', b.get("/").body, "linked from the nav bar")
        self.assertIn('href="/account"', b.get("/secret").body)
        r = b.get("/account")
        self.assertEqual(r.status, 200)
        self.assertIn(m, r.body)
        self.assertIn("Member since", r.body)
        self.assertIn("none: this is the first", r.body)
        self.assertIn(b.source, r.body)
        self.assertIn("Firefox on Linux", r.body)
        self.assertIn('aria-current="page"', r.body)
        b2 = self.second(m, p)
        r = b.get("/account")
        # The newest sign-in is b2's; the previous one was b's.
        self.assertRegex(r.body, r"This sign-in</dt><dd>[^<]+ from <span class=\"mono\">"
                         + re.escape(b2.source))
        self.assertRegex(r.body, r"Previous sign-in</dt><dd>[^<]+ from <span class=\"mono\">"
                         + re.escape(b.source))
        self.assertIn("Chrome on macOS", r.body)
        self.assertEqual(r.body.count('name="session"'), 1, "only the other one has a log-out")
        self.assertIn(handle_of(b2.session_cookie()), r.body)
        self.assertIn("This session", r.body)
        self.assertIn('action="/account/sessions/revoke-others"', r.body)
        self.assertNotIn(b.session_cookie(), r.body, "never the session id itself")

    def test_last_seen_is_coarse(self):
        """SESSION_GET does not write on every request (last_seen is coarse)."""
        b, m, _ = self.signed_up()
        db(self.services, "UPDATE sessions SET last_seen = now() - interval '5 seconds' "
           "WHERE email = %s", (m,))
        before = db(self.services, "SELECT last_seen FROM sessions WHERE email = %s", (m,))[0][0]
        self.assertEqual(b.get("/secret").status, 200)
        after = db(self.services, "SELECT last_seen FROM sessions WHERE email = %s", (m,))[0][0]
        self.assertEqual(before, after, "fresh within a minute: not written")
        db(self.services, "UPDATE sessions SET last_seen = now() - interval '90 seconds' "
           "WHERE email = %s", (m,))
        self.assertEqual(b.get("/secret").status, 200)
        age = db(self.services, "SELECT now() - last_seen FROM sessions WHERE email = %s", (m,))[0][0]
        self.assertLess(age.total_seconds(), 5, "older than a minute: touched")

    # --- change password -----------------------------------------------------

    def test_change_password_ends_other_sessions_on_every_replica(self):
        b, m, p = self.signed_up()
        other = self.second(m, p)                       # signed in on replica b
        old_cookie = b.session_cookie()
        new = fc.password()
        r = self.change(b, p, new)
        self.assertEqual((r.status, r.header("Location")), (303, "/account?done=password"))
        self.assertNotEqual(b.session_cookie(), old_cookie, "fresh session id")
        r = b.get(r.header("Location"))
        self.assertEqual(r.status, 200, "this session continues")
        self.assertIn("Your password was changed", r.body)
        self.assertEqual(b.on(self.fe2.port).get("/secret").status, 200, "on the other replica too")
        self.assertEqual(other.get("/secret").status, 303, "other session ended (replica b)")
        self.assertEqual(other.on(self.fe.port).get("/secret").status, 303)
        stale = Browser(self.fe.port)
        stale.cookies = {"parley_session": old_cookie}
        self.assertEqual(stale.get("/secret").status, 303, "old id refused")
        self.assertEqual(Browser(self.fe.port).login(m, p).status, 401, "old password gone")
        self.assertEqual(Browser(self.fe2.port).login(m, new).status, 303)
        self.assertIn("$argon2id$", self.hash_of(m))

    def test_change_password_bad_input(self):
        b, m, p = self.signed_up()
        before = self.hash_of(m)
        r = self.change(b, "not the password at all", fc.password())
        self.assertEqual(r.status, 401)
        self.assertIn("not your current password", r.body)
        self.assertIn('id="current_password-error"', r.body)
        for cur, new, field in ((p, "short", "new_password-error"),
                                (p, "passwordpassword", "new_password-error"),
                                (p, m, "new_password-error"),
                                (p, p, "new_password-error"),
                                ("", fc.password(), "current_password-error")):
            with self.subTest(new=new):
                r = self.change(b, cur, new)
                self.assertEqual(r.status, 400)
                self.assertIn(f'id="{field}"', r.body)
                self.assertNotIn(p, r.body, "passwords are never echoed")
        for tok in ("", "forged-token"):
            r = self.change(b, p, fc.password(), token=tok)
            self.assertEqual(r.status, 403)
        self.assertEqual(self.hash_of(m), before, "nothing changed")
        self.assertEqual(b.get("/secret").status, 200)

    def test_change_password_is_throttled_like_login(self):
        b, m, p = self.signed_up()
        for _ in range(5):      # LOGIN_ACCOUNT_MAX_FAILURES
            self.assertEqual(self.change(b, "wrong wrong wrong", fc.password()).status, 401)
        r = self.change(b, p, fc.password())
        self.assertEqual(r.status, 429, "even the right password waits")
        self.assertIsNotNone(r.header("Retry-After"))
        self.assertEqual(Browser(self.fe2.port).login(m, p).status, 429, "same counter as log-in")

    # --- sessions ------------------------------------------------------------

    def test_log_out_one_session_seen_on_other_replica(self):
        b, m, p = self.signed_up()
        other = self.second(m, p)
        third = self.second(m, p)
        gone = handle_of(other.session_cookie())
        r = b.post("/account/sessions/revoke", {"session": gone,
                                                "csrf_token": b.token("/account")})
        self.assertEqual((r.status, r.header("Location")), (303, "/account?done=revoked"))
        self.assertEqual(other.get("/secret").status, 303, "ended, seen on replica b")
        self.assertEqual(third.get("/secret").status, 200, "the others stay")
        self.assertEqual(b.get("/secret").status, 200)
        r = b.post("/account/sessions/revoke", {"session": gone,
                                                "csrf_token": b.token("/account")})
        self.assertEqual(r.status, 404, "already ended")

    def test_someone_elses_session_cannot_be_ended(self):
        victim, _, _ = self.signed_up()
        b, _, _ = self.signed_up()
        tok = b.token("/account")
        r = b.post("/account/sessions/revoke", {"session": handle_of(victim.session_cookie()),
                                                "csrf_token": tok})
        self.assertEqual(r.status, 404)
        self.assertEqual(victim.get("/secret").status, 200)
        for bad in ("", "zz", "0" * 64, "ABCDEF0123456789"):
            r = b.post("/account/sessions/revoke", {"session": bad, "csrf_token": tok})
            self.assertEqual(r.status, 400, bad)
        r = b.post("/account/sessions/revoke", {"session": handle_of(victim.session_cookie())})
        self.assertEqual(r.status, 403, "no CSRF token")
        # The back end itself scopes to the caller's account.
        reply = self.rpc.call("SESSION_REVOKE", {
            "id_hash": hashlib.sha256(b.session_cookie().encode()).hexdigest(),
            "handle": handle_of(victim.session_cookie())})
        self.assertEqual((reply["success"], reply["revoked"]), (True, 0))
        self.assertEqual(victim.get("/secret").status, 200)

    def test_log_out_everywhere_else(self):
        b, m, p = self.signed_up()
        others = [self.second(m, p), self.second(m, p, fe=self.fe)]
        r = b.post("/account/sessions/revoke-others", {"csrf_token": b.token("/account")})
        self.assertEqual((r.status, r.header("Location")), (303, "/account?done=others"))
        for o in others:
            self.assertEqual(o.get("/secret").status, 303)
        r = b.get("/account")
        self.assertEqual(r.status, 200)
        self.assertNotIn('name="session"', r.body)
        r = b.post("/account/sessions/revoke-others", {"csrf_token": b.token("/account")})
        self.assertEqual(r.status, 303, "again: nothing to do, same answer")

    # --- delete --------------------------------------------------------------

    def test_delete_account(self):
        b, m, p = self.signed_up()
        other = self.second(m, p)
        tag = uuid.uuid4().hex[:8]
        name = "T\u00f6mb" + tag
        db(self.services, "UPDATE users SET chat_name = %s WHERE email = %s", (name, m))
        db(self.services, "INSERT INTO chat_messages (room, origin, seq, sender, content, ts) "
           "VALUES ('general', %s, 1, %s, 'hello', 0)", (uuid.uuid4().hex, name))
        self.assertEqual(Browser(self.fe.port, source=b.source).login(m, "wrong password!").status, 401)
        self.assertEqual(db(self.services, "SELECT count(*) FROM login_failures WHERE client = %s",
                            (b.source,))[0][0], 1)
        r = b.get("/account/delete")
        self.assertEqual(r.status, 200)
        self.assertIn('name="confirm"', r.body)
        tok = r.csrf()
        r = b.post("/account/delete", {"password": p, "csrf_token": tok})
        self.assertEqual(r.status, 400, "no confirmation")
        self.assertIn('id="confirm-error"', r.body)
        r = b.post("/account/delete", {"password": "not my password", "confirm": "yes",
                                       "csrf_token": tok})
        self.assertEqual(r.status, 401)
        r = b.post("/account/delete", {"password": p, "confirm": "yes"})
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(self.hash_of(m), "still there")
        r = b.post("/account/delete", {"password": p, "confirm": "yes", "csrf_token": tok})
        self.assertEqual(r.status, 200)
        self.assertIn("Account deleted", r.body)
        self.assertIsNone(b.session_cookie(), "cookie cleared")
        self.assertIsNone(self.hash_of(m))
        self.assertEqual(db(self.services, "SELECT count(*) FROM sessions WHERE email = %s", (m,))[0][0], 0)
        self.assertEqual(db(self.services, "SELECT count(*) FROM login_failures WHERE client = %s",
                            (b.source,))[0][0], 0, "throttling data gone")
        self.assertEqual(other.get("/secret").status, 303)
        self.assertEqual(Browser(self.fe.port).login(m, p).status, 401)
        # The name is a tombstone: no chat server can take it, in any case or
        # look-alike (its key is lib/namekey's: Cyrillic Т, o + U+0308).
        for n in (name, name.upper(), "\u0422o\u0308mb" + tag):
            reply = self.chat_rpc.call("CHAT_CLAIM", {"owner": "srv-" + uuid.uuid4().hex[:6],
                                                      "token": "t1", "name": n, "ttl_s": 30})
            self.assertEqual((reply["success"], reply.get("taken")), (False, True), reply)
        self.assertEqual(db(self.services, "SELECT count(*) FROM chat_messages WHERE sender = %s",
                            (name,))[0][0], 1, "history stays")
        # Deleting twice: the second post has no session any more.
        r = b.post("/account/delete", {"password": p, "confirm": "yes", "csrf_token": b.token("/")})
        self.assertEqual((r.status, r.header("Location")), (303, "/login"))

    # --- recovery ------------------------------------------------------------

    def recovery_link(self, m, expect=0):
        run = subprocess.run([os.path.join(h.BIN, "back-end"), "--recovery-link", m],
                             env=dict(os.environ, DATABASE_URL=self.services.database_url,
                                      PUBLIC_URL=f"http://127.0.0.1:{self.fe.port}/"),
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, expect, run.stderr)
        return run

    def test_recovery_link(self):
        b, m, p = self.signed_up()
        other = self.second(m, p)
        run = self.recovery_link("  " + m.upper())
        link = run.stdout.strip()
        self.assertRegex(link, rf"^http://127\.0\.0\.1:{self.fe.port}/recover\?token=[A-Za-z0-9_-]{{43}}$")
        token = link.split("token=")[1]
        self.assertNotIn(token, run.stderr, "the log never has the token")
        self.assertIn("valid until", run.stderr)
        rows = db(self.services, "SELECT token_hash, expires_at - now() FROM recovery_tokens "
                  "WHERE email = %s", (m,))
        self.assertEqual(rows[0][0], hashlib.sha256(token.encode()).hexdigest(), "stored hashed")
        self.assertAlmostEqual(rows[0][1].total_seconds(), 3600, delta=60)
        path = link.split(str(self.fe.port), 1)[1]
        anon = Browser(self.fe.port)
        r = anon.get(path)
        self.assertEqual(r.status, 200)
        self.assertIn(m, r.body)
        tok = r.csrf()
        r = anon.post("/recover", {"token": token, "new_password": "short", "csrf_token": tok})
        self.assertEqual(r.status, 400)
        r = anon.post("/recover", {"token": token, "new_password": fc.password()})
        self.assertEqual(r.status, 403, "CSRF")
        new = fc.password()
        r = anon.post("/recover", {"token": token, "new_password": new, "csrf_token": tok})
        self.assertEqual(r.status, 200, r.body)
        self.assertIn("new password is set", r.body)
        for s in (b, other):
            self.assertEqual(s.get("/secret").status, 303, "every session ended")
        self.assertEqual(Browser(self.fe.port).login(m, p).status, 401)
        self.assertEqual(Browser(self.fe2.port).login(m, new).status, 303)
        # Once only.
        self.assertEqual(anon.get(path).status, 410)
        r = anon.post("/recover", {"token": token, "new_password": fc.password(), "csrf_token": tok})
        self.assertEqual(r.status, 410)
        self.assertIn("already been used", r.body)
        self.assertEqual(Browser(self.fe.port).login(m, new).status, 303, "unchanged")
        logs = self.backend.log() + self.fe.log() + self.fe2.log()
        self.assertNotIn(token, logs)
        self.assertIn(f"recovery link used user={m}", logs)
        self.assertIn("recovery link refused reason=used", logs)

    def test_recovery_link_expired_unknown_and_cli_errors(self):
        _, m, p = self.signed_up()
        token = self.recovery_link(m).stdout.strip().split("token=")[1]
        db(self.services, "UPDATE recovery_tokens SET expires_at = now() - interval '1 second' "
           "WHERE email = %s", (m,))
        anon = Browser(self.fe.port)
        r = anon.get("/recover?token=" + token)
        self.assertEqual(r.status, 410)
        self.assertIn("expired", r.body)
        r = anon.post("/recover", {"token": token, "new_password": fc.password(),
                                   "csrf_token": anon.token("/login")})
        self.assertEqual(r.status, 410)
        self.assertEqual(Browser(self.fe.port).login(m, p).status, 303, "password unchanged")
        self.assertIn(f"recovery link refused reason=expired user={m}", self.backend.log())
        for bad in ("A" * 43, "short", "x" * 300):
            self.assertEqual(anon.get("/recover?token=" + bad).status, 410, bad)
        self.assertEqual(anon.get("/recover").status, 400)
        self.assertEqual(anon.get("/recover?token=").status, 400)
        # A new link replaces an unused one.
        first = self.recovery_link(m).stdout.strip().split("token=")[1]
        second = self.recovery_link(m).stdout.strip().split("token=")[1]
        self.assertEqual(anon.get("/recover?token=" + first).status, 410)
        self.assertEqual(anon.get("/recover?token=" + second).status, 200)
        self.recovery_link(fc.email("nobody"), expect=1)
        self.recovery_link("not an address", expect=2)

    # --- events --------------------------------------------------------------

    def test_events_are_published(self):
        events = Events(self.services.amqp_url)
        try:
            b, m, p = self.signed_up()
            uid = db(self.services, "SELECT id FROM users WHERE email = %s", (m,))[0][0]
            other = self.second(m, p)
            h_other = handle_of(other.session_cookie())
            b.post("/account/sessions/revoke", {"session": h_other, "csrf_token": b.token("/account")})
            ev = events.wait("account.sessions_revoked", m)
            self.assertEqual((ev["account_id"], ev["sessions"], ev["all_sessions"]), (uid, [h_other], False))
            self.assertEqual(ev["type"], "account.sessions_revoked")
            self.assertRegex(ev["event_id"], "^[0-9a-f]{32}$")
            self.assertEqual(events.last_props.message_id, ev["event_id"])
            self.assertEqual(events.last_props.delivery_mode, 2, "persistent")

            third = self.second(m, p)
            new = fc.password()
            self.assertEqual(self.change(b, p, new).status, 303)
            ev = events.wait("account.password_changed", m)
            self.assertEqual(ev["sessions"], [handle_of(third.session_cookie())])
            self.assertEqual(ev["reason"], "changed")

            fourth = self.second(m, new)
            r = b.post("/account/sessions/revoke-others", {"csrf_token": b.token("/account")})
            self.assertEqual(r.status, 303)
            ev = events.wait("account.sessions_revoked", m)
            self.assertEqual(ev["sessions"], [handle_of(fourth.session_cookie())])

            token = self.recovery_link(m).stdout.strip().split("token=")[1]
            anon = Browser(self.fe.port)
            anon.post("/recover", {"token": token, "new_password": p,
                                   "csrf_token": anon.token("/login")})
            ev = events.wait("account.password_changed", m)
            self.assertEqual((ev["reason"], ev["all_sessions"]), ("recovery", True))
            self.assertEqual(ev["sessions"], [handle_of(b.session_cookie())])

            b = Browser(self.fe.port)
            self.assertEqual(b.login(m, p).status, 303)
            db(self.services, "UPDATE users SET chat_name = 'Evt' || id WHERE email = %s", (m,))
            last = handle_of(b.session_cookie())
            r = b.post("/account/delete", {"password": p, "confirm": "yes",
                                           "csrf_token": b.token("/account/delete")})
            self.assertEqual(r.status, 200)
            ev = events.wait("account.deleted", m)
            self.assertEqual((ev["account_id"], ev["chat_name"]), (uid, f"Evt{uid}"))
            self.assertEqual((ev["sessions"], ev["all_sessions"]), ([last], True))
        finally:
            events.close()

    # --- back-end actions ----------------------------------------------------

    def test_actions_are_idempotent_and_validated(self):
        b, m, p = self.signed_up()
        sid = hashlib.sha256(b.session_cookie().encode()).hexdigest()
        old = self.hash_of(m)
        change = {"id_hash": sid, "old_hash": old, "hash": "$argon2id$v=19$test",
                  "new_id_hash": uuid.uuid4().hex * 2, "account": "a" * 64}
        self.assertEqual(self.rpc.call("PASSWORD_CHANGE", change), {"success": True, "changed": True})
        self.assertEqual(self.rpc.call("PASSWORD_CHANGE", change), {"success": True, "changed": True},
                         "a redelivery succeeds again")
        stale = dict(change, new_id_hash=uuid.uuid4().hex * 2)
        self.assertEqual(self.rpc.call("PASSWORD_CHANGE", stale)["changed"], False, "old hash is gone")
        new_sid = change["new_id_hash"]
        delete = {"id_hash": new_sid, "hash": "$argon2id$v=19$test", "account": "a" * 64}
        self.assertEqual(self.rpc.call("ACCOUNT_DELETE", dict(delete, hash=old))["deleted"], False,
                         "compare-and-set on the hash")
        self.assertEqual(self.rpc.call("ACCOUNT_DELETE", delete), {"success": True, "deleted": True})
        self.assertEqual(self.rpc.call("ACCOUNT_DELETE", delete), {"success": True, "deleted": False},
                         "deleting twice")
        self.assertEqual(self.rpc.call("ACCOUNT_GET", {"id_hash": new_sid}),
                         {"success": True, "account": None})
        for action, data in (("ACCOUNT_GET", {}), ("ACCOUNT_GET", {"id_hash": "x' OR 1=1 --"}),
                             ("SESSION_REVOKE", {"id_hash": sid}),
                             ("SESSION_REVOKE", {"id_hash": sid, "handle": 12}),
                             ("PASSWORD_CHANGE", dict(change, new_id_hash="0")),
                             ("ACCOUNT_DELETE", {"id_hash": sid, "hash": "h"}),
                             ("RECOVERY_CHECK", {"token_hash": "g" * 64}),
                             ("RECOVERY_USE", {"token_hash": "0" * 64, "hash": 1, "account": "a" * 64})):
            with self.subTest(action=action, data=data):
                reply = self.rpc.call(action, data)
                self.assertIs(reply["success"], False, reply)
                self.assertIn("message", reply)

    def test_recovery_use_is_idempotent(self):
        _, m, _ = self.signed_up()
        token = self.recovery_link(m).stdout.strip().split("token=")[1]
        th = hashlib.sha256(token.encode()).hexdigest()
        self.assertEqual(self.rpc.call("RECOVERY_CHECK", {"token_hash": th}),
                         {"success": True, "state": "valid", "email": m})
        use = {"token_hash": th, "hash": "$argon2id$v=19$rec", "account": "b" * 64}
        self.assertEqual(self.rpc.call("RECOVERY_USE", use), {"success": True, "used": True})
        self.assertEqual(self.rpc.call("RECOVERY_USE", use), {"success": True, "used": True},
                         "a redelivery succeeds again")
        self.assertEqual(self.rpc.call("RECOVERY_USE", dict(use, hash="$argon2id$other")),
                         {"success": True, "used": False}, "a second use does not")
        self.assertEqual(self.hash_of(m), "$argon2id$v=19$rec")
        self.assertEqual(self.rpc.call("RECOVERY_CHECK", {"token_hash": th})["state"], "used")
        self.assertEqual(self.rpc.call("RECOVERY_CHECK", {"token_hash": "0" * 64})["state"], "unknown")


if __name__ == "__main__":
    unittest.main(verbosity=2)
