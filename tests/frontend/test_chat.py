"""/chat over HTTP against real RabbitMQ, PostgreSQL and back end (issue 13):
the chat-name form, the page and its CSP, POST /chat/ticket, the chat
tokens on /account (tickets and tokens redeemed as a chat server would)."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

TEST = "frontend_chat"
WS_URL = "ws://127.0.0.1:60999/ws"


def chat_name(tag="n"):
    return tag + os.urandom(5).hex()


class ChatHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = fc.backend(cls.services, test=TEST)
        cls.fe = fc.frontend(cls.services, test=TEST, env={"CHAT_WS_URL": WS_URL})
        cls.chat_rpc = h.RpcClient(cls.services.amqp_url, role="chat")

    @classmethod
    def tearDownClass(cls):
        cls.chat_rpc.close()
        assert cls.fe.stop() == 0
        assert cls.backend.stop() == 0

    def signed_up(self):
        b = fc.Browser(self.fe.port)
        self.assertEqual(b.register(fc.email("chat"), fc.password()).status, 303)
        return b

    def named(self, name=None):
        b = self.signed_up()
        name = name or chat_name()
        r = b.post("/chat/name", {"name": name, "csrf_token": b.token("/chat")})
        self.assertEqual((r.status, r.header("Location")), (303, "/chat"), r.body)
        return b, name

    def ticket(self, b, token=None):
        r = b.post("/chat/ticket", {"csrf_token": token or b.token("/chat")})
        return r, (json.loads(r.body) if r.header("Content-Type") == "application/json"
                   else None)

    def test_signed_out(self):
        b = fc.Browser(self.fe.port)
        r = b.get("/chat")
        self.assertEqual((r.status, r.header("Location")), (303, "/login"))
        tok = b.token("/login")
        r = b.post("/chat/name", {"name": "x", "csrf_token": tok})
        self.assertEqual((r.status, r.header("Location")), (303, "/login"))
        r, body = self.ticket(b, tok)
        self.assertEqual((r.status, body), (401, {"error": "signed_out"}))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertNotIn('href="/chat"', b.get("/").body, "no chat link when signed out")

    def test_name_form_then_page(self):
        b = self.signed_up()
        self.assertIn('href="/chat"', b.get("/").body, "linked from / when signed in")
        r = b.get("/chat")
        self.assertEqual(r.status, 200)
        self.assertIn('name="name"', r.body)
        self.assertIn('action="/chat/name"', r.body)
        self.assertNotIn("script", r.header("Content-Security-Policy"))
        r, body = self.ticket(b)
        self.assertEqual((r.status, body), (409, {"error": "no_name"}), "no ticket before a name")
        tok = b.token("/chat")
        r = b.post("/chat/name", {"name": "", "csrf_token": tok})
        self.assertEqual(r.status, 400)
        self.assertIn('aria-invalid="true"', r.body)
        r = b.post("/chat/name", {"name": "has space", "csrf_token": tok})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn('class="field-error"', r.body)
        self.assertIn('value="has space"', r.body, "what was typed comes back")
        self.assertEqual(b.post("/chat/name", {"name": "x"}).status, 403, "CSRF")
        name = chat_name("Ann")
        r = b.post("/chat/name", {"name": name, "csrf_token": tok})
        self.assertEqual((r.status, r.header("Location")), (303, "/chat"))
        r = b.get("/chat")
        self.assertEqual(r.status, 200)
        for needle in ('role="log"', 'name="message"', '<label for="message">',
                       '<script src="/static/chat.js"', 'href="/static/chat.css"',
                       f'data-name="{name}"', f'data-ws="{WS_URL}"'):
            self.assertIn(needle, r.body)
        self.assertNotRegex(r.body, r"<script>|<script [^s]|\son[a-z]+=\"", "no inline script")
        csp = r.header("Content-Security-Policy")
        self.assertIn("script-src 'self';", csp)
        self.assertIn("connect-src 'self' ws://127.0.0.1:60999;", csp, "exactly the origin")
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn("connect-src", b.get("/").header("Content-Security-Policy"))
        # Once chosen it stays: a second name is not taken over it.
        r = b.post("/chat/name", {"name": chat_name(), "csrf_token": tok})
        self.assertEqual((r.status, r.header("Location")), (303, "/chat"))
        self.assertIn(f'data-name="{name}"', b.get("/chat").body)

    def test_name_taken_or_reserved(self):
        _, name = self.named()
        b = self.signed_up()
        tok = b.token("/chat")
        r = b.post("/chat/name", {"name": name.upper(), "csrf_token": tok})
        self.assertEqual(r.status, 409, "taken, case-insensitively")
        self.assertIn("That name is taken", r.body)
        self.assertIn('role="alert"', r.body)
        r = b.post("/chat/name", {"name": "server", "csrf_token": tok})
        self.assertEqual(r.status, 409, r.body)
        self.assertIn("not available", r.body)
        self.assertIn('name="name"', b.get("/chat").body, "still without a name")

    def test_ticket(self):
        b, name = self.named()
        r, body = self.ticket(b)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(set(body), {"ticket", "name"})
        self.assertEqual(body["name"], name)
        self.assertRegex(body["ticket"], r"^[0-9a-f]{64}$")
        self.assertEqual(self.ticket(b, "forged")[0].status, 403, "CSRF")
        again = self.ticket(b)[1]["ticket"]
        self.assertNotEqual(again, body["ticket"], "a fresh one each time")
        got = self.chat_rpc.call("CHAT_TICKET_REDEEM", {"ticket": body["ticket"]})
        self.assertTrue(got["success"], got)
        self.assertEqual(got["name"], name)
        got = self.chat_rpc.call("CHAT_TICKET_REDEEM", {"ticket": body["ticket"]})
        self.assertFalse(got["success"], "single use")
        self.assertEqual(b.logout().status, 303)
        self.assertFalse(self.chat_rpc.call("CHAT_TICKET_REDEEM", {"ticket": again})["success"],
                         "the session ended: its ticket is void")
        self.assertEqual(self.ticket(b, b.token("/login"))[0].status, 401)

    def test_tokens_on_the_account_page(self):
        b, name = self.named()
        r = b.get("/account")
        self.assertEqual(r.status, 200)
        self.assertIn("Chat tokens", r.body)
        self.assertIn("No tokens yet", r.body)
        tok = b.token("/account")
        self.assertEqual(b.post("/account/tokens", {"label": "", "csrf_token": tok}).status, 400)
        self.assertEqual(b.post("/account/tokens", {"label": "laptop"}).status, 403)
        r = b.post("/account/tokens", {"label": "my laptop", "csrf_token": tok})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        token = re.search(r'id="token"[^>]*value="([0-9a-f]{64})"', r.body).group(1)
        page = b.get("/account").body
        self.assertIn("my laptop", page)
        self.assertNotIn(token, page, "shown once only")
        self.assertRegex(page, r"Last used\">never<")
        got = self.chat_rpc.call("CHAT_TOKEN_REDEEM", {"token": token})
        self.assertTrue(got["success"], got)
        self.assertEqual(got["name"], name)
        page = b.get("/account").body
        self.assertNotRegex(page, r"Last used\">never<", "last use shown")
        tid = re.search(r'name="id" value="(\d+)"', page).group(1)
        self.assertEqual(b.post("/account/tokens/revoke", {"id": "x1", "csrf_token": tok}).status,
                         400)
        r = b.post("/account/tokens/revoke", {"id": tid, "csrf_token": tok})
        self.assertEqual((r.status, r.header("Location")), (303, "/account?done=token#tokens"))
        page = b.get("/account?done=token").body
        self.assertIn("The chat token was revoked", page)
        self.assertNotIn("my laptop", page)
        self.assertFalse(self.chat_rpc.call("CHAT_TOKEN_REDEEM", {"token": token})["success"])
        r = b.post("/account/tokens/revoke", {"id": tid, "csrf_token": tok})
        self.assertEqual(r.status, 404, "not twice")
        # Another account cannot revoke this one's tokens.
        other = self.signed_up()
        r = b.post("/account/tokens", {"label": "desk", "csrf_token": tok})
        tid = re.search(r'name="id" value="(\d+)"', b.get("/account").body).group(1)
        r = other.post("/account/tokens/revoke", {"id": tid, "csrf_token": other.token("/account")})
        self.assertEqual(r.status, 404)
        self.assertIn("desk", b.get("/account").body)

    def test_assets(self):
        b = fc.Browser(self.fe.port)
        js, css = b.get("/static/chat.js"), b.get("/static/chat.css")
        self.assertEqual((js.status, css.status), (200, 200))
        self.assertTrue(js.header("Content-Type").startswith("text/javascript"))
        self.assertTrue(css.header("Content-Type").startswith("text/css"))
        self.assertIn("/chat/ticket", js.body)
        self.assertIn(".chat-log", css.body)

    def test_bad_ws_url_refused_at_start(self):
        for url in ("http://x/ws", "ws://x", "ws://x/ws; script-src *", "ws://x/w'"):
            d = h.Daemon("front-end", env={
                "AMQP_URL": self.services.amqp_url_for("front"), "PORT": str(h.free_port()),
                "SESSION_SECRET": fc.SECRET, "CHAT_WS_URL": url}, log_name="front-end-bad",
                test=TEST)
            self.assertNotEqual(d.proc.wait(timeout=10), 0, url)
            self.assertIn("CHAT_WS_URL", d.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
