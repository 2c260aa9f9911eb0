"""Throttling that strangers cannot turn against users (issue 11 items 3, 4
and the CSRF parts of 8), against real RabbitMQ, PostgreSQL and back end:
the registration throttle (per address, overall, 429 with Retry-After),
log-ins served while registrations flood the hasher, device cookies (a
stranger's failures do not lock out the owner's browser), IPv6 clients
counted per /64, and CSRF tokens bound to the session and to csrf cookies
the server issued."""
import http.client
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402
from test_http import db_query  # noqa: E402

TEST = "frontend_throttle"
DEVICE = "parley_device"
CSRF = "parley_csrf"
SESSION = "parley_session"


class Throttle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = fc.backend(cls.services, test=TEST)
        cls.fe = fc.frontend(cls.services, test=TEST, name="front-end-throttle",
                             env={"REGISTER_IP_MAX_ATTEMPTS": "3",
                                  "REGISTER_IP_WINDOW_S": "3600"})

    @classmethod
    def tearDownClass(cls):
        assert cls.fe.stop() == 0
        cls.backend.stop()

    def browser(self, fe=None, source=None):
        return fc.Browser((fe or self.fe).port, source=source)

    def signed_up(self):
        b, m, p = self.browser(), fc.email(), fc.password()
        self.assertEqual(b.register(m, p).status, 303)
        return b, m, p

    def strangers_fail(self, m, n=6):
        for i in range(n):
            self.assertIn(self.browser().login(m, f"wrong password {i:04d}").status,
                          (401, 429))

    # --- item 3: registration ------------------------------------------------

    def test_register_throttled_per_address(self):
        src = fc.random_source()
        for _ in range(3):
            self.assertEqual(self.browser(source=src).register(fc.email(), fc.password()).status,
                             303)
        r = self.browser(source=src).register(fc.email(), fc.password())
        self.assertEqual(r.status, 429, r.body)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertIn("Too many accounts", r.body)
        self.assertIsNone(fc.Browser(self.fe.port, source=src).session_cookie())
        self.assertEqual(self.browser().register(fc.email(), fc.password()).status, 303,
                         "other addresses are not affected")
        self.assertRegex(fc.metrics(self.fe),
                         r"parley_registrations_throttled_total(\{\})? [1-9]")

    def test_register_existing_refused_before_hashing(self):
        b, m, p = self.signed_up()
        r = self.browser().register(m, fc.password())
        self.assertEqual(r.status, 409)

    def test_register_overall_limit(self):
        fe = fc.frontend(self.services, test=TEST, name="front-end-regtotal",
                         env={"REGISTER_MAX_ATTEMPTS": "4", "REGISTER_WINDOW_S": "600",
                              "REGISTER_IP_MAX_ATTEMPTS": "0"})
        try:
            # Other tests may register meanwhile: they only use up the budget.
            got = [self.browser(fe).register(fc.email(), fc.password()).status
                   for _ in range(8)]
            self.assertLessEqual(got.count(303), 4, got)
            self.assertGreaterEqual(got.count(429), 4, got)
            self.assertEqual(set(got), {303, 429} if 303 in got else {429})
        finally:
            self.assertEqual(fe.stop(), 0)

    def test_login_served_during_register_flood(self):
        # A small hasher, registrations unthrottled: the flood reaches it.
        fe = fc.frontend(self.services, test=TEST, name="front-end-flood",
                         env={"HASH_THREADS": "2", "HASH_QUEUE_MAX": "8",
                              "REGISTER_IP_MAX_ATTEMPTS": "0", "REGISTER_MAX_ATTEMPTS": "0"})
        try:
            user, m, p = self.browser(fe), fc.email(), fc.password()
            self.assertEqual(user.register(m, p).status, 303)
            stop, flood = threading.Event(), []
            sources = [fc.random_source() for _ in range(5)]

            def flooder(i):
                while not stop.is_set():
                    b = fc.Browser(fe.port, source=sources[i % 5])
                    try:
                        flood.append(b.register(fc.email(), fc.password()).status)
                    except OSError:
                        flood.append(0)
            threads = [threading.Thread(target=flooder, args=(i,), daemon=True)
                       for i in range(40)]
            for t in threads:
                t.start()
            logins = []
            try:
                deadline = time.monotonic() + 4
                while time.monotonic() < deadline:
                    logins.append(self.browser(fe).login(m, p).status)
            finally:
                stop.set()
                for t in threads:
                    t.join(30)
            self.assertIn(503, flood, "the flood filled the registrations' share")
            self.assertEqual(set(logins), {303}, logins)
        finally:
            self.assertEqual(fe.stop(), 0)

    # --- item 4: device cookies ---------------------------------------------

    def test_login_leaves_device_cookie(self):
        b, m, p = self.signed_up()
        b.cookies.pop(DEVICE)
        r = b.login(m, p)
        self.assertEqual(r.status, 303)
        c = [c for c in r.set_cookies if c.startswith(DEVICE + "=")]
        self.assertEqual(len(c), 1, r.set_cookies)
        for attr in ("HttpOnly", "SameSite=Lax", "Path=/"):
            self.assertIn(attr, c[0])
        self.assertRegex(c[0], r"Max-Age=[1-9][0-9]{6,}")
        self.assertNotIn(m.split("@")[0], c[0], "the cookie does not show the address")

    def test_stranger_cannot_lock_out_owner(self):
        owner, m, p = self.signed_up()
        self.strangers_fail(m)
        self.assertEqual(self.browser().login(m, p).status, 429,
                         "without the device cookie: throttled as before")
        self.assertEqual(owner.login(m, p).status, 303, "the owner's browser logs in")
        self.assertEqual(self.browser().login(m, p).status, 429,
                         "the owner's log-in does not clear the strangers' failures")

    def test_device_cookie_of_other_account_does_not_help(self):
        owner, m, p = self.signed_up()
        other, m2, p2 = self.signed_up()    # a device cookie for m2
        self.strangers_fail(m)
        self.assertEqual(other.login(m, p).status, 429)
        forged = self.browser()
        forged.cookies[DEVICE] = owner.cookies[DEVICE][:-2] + "AA"
        self.assertEqual(forged.login(m, p).status, 429, "a tampered cookie")

    def test_device_has_its_own_allowance(self):
        owner, m, p = self.signed_up()
        for i in range(5):
            self.assertEqual(owner.login(m, f"wrong password {i:04d}").status, 401)
        self.assertEqual(owner.login(m, p).status, 429, "a stolen device cookie is throttled")
        self.assertEqual(self.browser().login(m, p).status, 303,
                         "and its failures do not lock out other browsers")

    # --- item 4: IPv6 clients per /64 ----------------------------------------

    def test_ipv6_client_counted_per_prefix(self):
        conn = http.client.HTTPConnection("::1", self.fe.port, timeout=15)
        try:
            conn.request("GET", "/login")
            r = conn.getresponse()
            body = r.read().decode()
            cookie = r.getheader("Set-Cookie").split(";")[0]
            tok = fc.Response(r, body.encode()).csrf()
            m = fc.email("v6")
            from urllib.parse import urlencode
            conn.request("POST", "/login", body=urlencode(
                {"email": m, "password": "wrong password 0000", "csrf_token": tok}),
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Cookie": cookie})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 401)
        finally:
            conn.close()
        rows = db_query(self.services, "SELECT DISTINCT client FROM login_failures "
                        "WHERE at > now() - interval '1 minute' AND client LIKE %s", ("%/%",))
        self.assertIn(("::/64",), rows)

    # --- item 8: CSRF ---------------------------------------------------------

    def test_csrf_token_bound_to_session(self):
        a, ma, pa = self.signed_up()
        b, mb, pb = self.signed_up()
        tok = a.token("/")
        forged = self.browser()
        forged.cookies = {CSRF: a.cookies[CSRF], SESSION: b.cookies[SESSION]}
        self.assertEqual(forged.post("/logout", {"csrf_token": tok}).status, 403,
                         "session B with session A's token")
        forged.cookies = {CSRF: a.cookies[CSRF]}
        self.assertEqual(forged.post("/logout", {"csrf_token": tok}).status, 403,
                         "signed out with session A's token")
        self.assertEqual(a.get("/secret").status, 200)
        self.assertEqual(a.post("/logout", {"csrf_token": tok}).status, 303)

    def test_csrf_only_for_issued_cookies(self):
        for chosen in ("A" * 22, "A" * 22 + "." + "B" * 22):
            with self.subTest(cookie=chosen):
                b = self.browser()
                b.cookies[CSRF] = chosen
                r = b.get("/login")
                self.assertNotEqual(b.cookies[CSRF], chosen, "a new cookie was issued")
                tok = r.csrf()
                b.cookies[CSRF] = chosen
                r = b.post("/login", {"email": fc.email(), "password": "x" * 12,
                                      "csrf_token": tok})
                self.assertEqual(r.status, 403)

    def test_csrf_token_after_stale_session(self):
        b, m, p = self.signed_up()
        stale = b.cookies[SESSION]
        self.assertEqual(b.logout().status, 303)
        b.cookies[SESSION] = stale          # an ended session's cookie
        tok = b.token("/login")            # the page drops it
        self.assertNotIn(SESSION, b.cookies)
        r = b.post("/login", {"email": m, "password": p, "csrf_token": tok})
        self.assertEqual(r.status, 303)


if __name__ == "__main__":
    unittest.main(verbosity=2)
