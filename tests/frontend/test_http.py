"""Front end over HTTP against real RabbitMQ, PostgreSQL and back end:
every route and status code of docs/frontend.md, CSRF, throttling, enumeration
resistance, session revocation and expiry, two replicas sharing sessions,
rehash on login, security headers and bad requests."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

TEST = "frontend_http"


def db_query(services, sql, params=()):
    import psycopg2
    with psycopg2.connect(services.database_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


class FrontendHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        cls.backend = fc.backend(cls.services, test=TEST)
        cls.fe = fc.frontend(cls.services, test=TEST, name="front-end-a")
        cls.fe2 = fc.frontend(cls.services, test=TEST, name="front-end-b")

    @classmethod
    def tearDownClass(cls):
        for d in (cls.fe2, cls.fe):
            status = d.stop()
            assert status == 0, f"front-end exited {status} on SIGTERM"
        cls.backend.stop()

    def browser(self, fe=None):
        return fc.Browser((fe or self.fe).port)

    def signed_up(self):
        b, m, p = self.browser(), fc.email(), fc.password()
        r = b.register(m, p)
        self.assertEqual(r.status, 303, r.body)
        return b, m, p

    # --- pages -------------------------------------------------------------

    def test_home_anonymous(self):
        r = self.browser().get("/")
        self.assertEqual(r.status, 200)
        self.assertIn('href="/login"', r.body)
        self.assertIn('href="/register"', r.body)
        self.assertIn('href="/secret"', r.body)
        self.assertNotIn("Log out", r.body)

    def test_forms_are_accessible(self):
        b = self.browser()
        for path, auto in (("/login", "current-password"), ("/register", "new-password")):
            r = b.get(path)
            self.assertEqual(r.status, 200)
            self.assertIn('<label for="email">', r.body)
            self.assertIn('<label for="password">', r.body)
            self.assertIn('autocomplete="username"', r.body)
            self.assertIn(f'autocomplete="{auto}"', r.body)
            self.assertIsNotNone(r.csrf())
            self.assertIn('<html lang="en">', r.body)
            self.assertNotIn("<script", r.body)

    def test_register_lands_home_signed_in(self):
        b, m, p = self.browser(), fc.email(), fc.password()
        r = b.register(m, p)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/")
        self.assertIsNotNone(b.session_cookie())
        r = b.get("/")
        self.assertEqual(r.status, 200)
        self.assertIn(m, r.body)
        self.assertIn('action="/logout"', r.body)
        self.assertIn("Log out", r.body)
        r = b.get("/secret")
        self.assertEqual(r.status, 200)
        self.assertIn("logged in", r.body)
        self.assertIn(m, r.body)

    def test_register_normalises_email(self):
        b, m, p = self.browser(), fc.email(), fc.password()
        r = b.register("  " + m.upper() + " ", p)
        self.assertEqual(r.status, 303)
        self.assertIn(m, b.get("/secret").body)
        self.assertEqual(self.browser().login(m, p).status, 303)
        self.assertEqual(self.browser().login(m.upper(), p).status, 303)

    def test_register_duplicate(self):
        b, m, p = self.signed_up()
        r = self.browser().register(m, fc.password())
        self.assertEqual(r.status, 409)
        self.assertIn("already", r.body)
        self.assertIn('id="email-error"', r.body)
        self.assertEqual(self.browser().login(m, p).status, 303, "first password kept")

    def test_register_invalid_input(self):
        cases = [
            ("not-an-email", fc.password(), "email-error"),
            ("a@b", fc.password(), "email-error"),
            ("", fc.password(), "email-error"),
            (fc.email(), "short pw", "password-error"),
            (fc.email(), "x" * 129, "password-error"),
            (fc.email(), "passwordpassword", "password-error"),   # list word twice
            (fc.email(), "123456789012", "password-error"),       # a run
            (fc.email(), "aaaaaaaaaaaaaaa", "password-error"),    # one character
            (fc.email(), "", "password-error"),
        ]
        for mail, pw, field in cases:
            with self.subTest(mail=mail, pw=pw):
                b = self.browser()
                r = b.register(mail, pw)
                self.assertEqual(r.status, 400)
                self.assertIn(f'id="{field}"', r.body)
                self.assertIn('aria-invalid="true"', r.body)
                self.assertIsNone(b.session_cookie())
        b = self.browser()
        mail = fc.email()
        self.assertEqual(b.register(mail, mail).status, 400, "password = email")

    def test_password_any_unicode_counted_in_characters(self):
        # 12 characters, 36 bytes: accepted; 11 characters of 3 bytes: refused.
        self.assertEqual(self.browser().register(fc.email(), "日本語のパスワード です").status, 303)
        self.assertEqual(self.browser().register(fc.email(), "パ" * 11).status, 400)
        self.assertEqual(self.browser().register(fc.email(), "🔑" * 128).status, 303)

    def test_secret_requires_login(self):
        r = self.browser().get("/secret")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/login")

    def test_login_success_rotates_session(self):
        b, m, p = self.signed_up()
        first = b.session_cookie()
        r = b.login(m, p)   # signed in already: the old session is replaced
        self.assertEqual(r.status, 303)
        second = b.session_cookie()
        self.assertNotEqual(first, second)
        stale = fc.Browser(self.fe.port)
        stale.cookies = {"parley_session": first}
        self.assertEqual(stale.get("/secret").status, 303, "old id must die at login")
        self.assertEqual(b.get("/secret").status, 200)

    def test_login_failures_are_generic(self):
        b, m, p = self.signed_up()
        wrong = self.browser().login(m, "not the password at all")
        unknown = self.browser().login(fc.email(), "not the password at all")
        self.assertEqual(wrong.status, 401)
        self.assertEqual(unknown.status, 401)

        def page(r):
            body = re.sub(r'value="[^"]*"', 'value=""', r.body)
            return body
        self.assertEqual(page(wrong), page(unknown))
        self.assertIn("Email or password is incorrect.", wrong.body)
        self.assertIsNone(self.browser().session_cookie())

    def test_login_timing_similar_for_unknown_and_wrong(self):
        b, m, p = self.signed_up()

        def timed(mail):
            c = self.browser()
            tok = c.token("/login")
            t = time.monotonic()
            r = c.post("/login", {"email": mail, "password": "wrong password here",
                                  "csrf_token": tok})
            self.assertEqual(r.status, 401)
            return time.monotonic() - t
        known, unknown = [], []
        for _ in range(4):   # under the per-account limit of 5
            known.append(timed(m))
            unknown.append(timed(fc.email()))
        # Both include one Argon2id verify (tens of ms); a skipped verify
        # would make the unknown case several times faster.  The fastest
        # of each is compared: load on a shared machine only adds time.
        k, u = min(known), min(unknown)
        self.assertLess(max(k, u) / min(k, u), 2.0, (known, unknown))

    def test_login_empty_fields(self):
        b = self.browser()
        r = b.post("/login", {"email": "", "password": "", "csrf_token": b.token()})
        self.assertEqual(r.status, 400)
        self.assertIn('id="email-error"', r.body)
        self.assertIn('id="password-error"', r.body)

    def test_logout_revokes_captured_cookie(self):
        b, m, p = self.signed_up()
        captured = dict(b.cookies)
        r = b.logout()
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/")
        self.assertIsNone(b.session_cookie())
        thief = self.browser()
        thief.cookies = dict(captured)
        r = thief.get("/secret")
        self.assertEqual(r.status, 303)
        self.assertTrue(any(c.startswith("parley_session=;") for c in r.set_cookies),
                        "a dead session cookie is cleared")
        thief.cookies = dict(captured)
        r = thief.get("/")
        self.assertEqual(r.status, 200)
        self.assertNotIn(m, r.body)

    def test_logout_without_session(self):
        b = self.browser()
        self.assertEqual(b.logout().status, 303)

    # --- CSRF --------------------------------------------------------------

    def test_csrf_required_on_every_post(self):
        b, m, p = self.signed_up()
        good = b.token("/")
        for path, fields in (("/login", {"email": m, "password": p}),
                             ("/register", {"email": fc.email(), "password": fc.password()}),
                             ("/logout", {})):
            with self.subTest(path=path):
                self.assertEqual(b.post(path, fields).status, 403)
                self.assertEqual(b.post(path, dict(fields, csrf_token="x" * 43)).status, 403)
                other = self.browser()
                other.token()
                # a real token, but for another browser's csrf cookie
                self.assertEqual(other.post(path, dict(fields, csrf_token=good)).status, 403)
                # the token without its cookie
                self.assertEqual(b.post(path, dict(fields, csrf_token=good),
                                        cookies=False).status, 403)
        self.assertEqual(b.get("/secret").status, 200, "403 logout must not log out")

    def test_csrf_token_accepted_by_other_replica(self):
        b = self.browser()
        tok = b.token("/register")
        b.port = self.fe2.port
        r = b.post("/register", {"email": fc.email(), "password": fc.password(),
                                 "csrf_token": tok})
        self.assertEqual(r.status, 303)

    # --- sessions across replicas -------------------------------------------

    def test_two_replicas_share_sessions(self):
        a, m, p = self.signed_up()            # on replica A
        b = self.browser(self.fe2)
        b.cookies = dict(a.cookies)
        r = b.get("/secret")                  # replica B knows the session
        self.assertEqual(r.status, 200)
        self.assertIn(m, r.body)
        self.assertEqual(b.logout().status, 303)   # log out on B
        self.assertEqual(a.get("/secret").status, 303, "A sees the logout")
        c = self.browser(self.fe2)
        self.assertEqual(c.login(m, p).status, 303)
        a.cookies = dict(c.cookies)
        self.assertEqual(a.get("/secret").status, 200)

    def test_session_id_stored_hashed(self):
        b, m, p = self.signed_up()
        sid = b.session_cookie()
        self.assertGreaterEqual(len(sid), 43)      # 256 bits, base64url
        rows = db_query(self.services, "SELECT id_hash FROM sessions WHERE email = %s", (m,))
        self.assertEqual(len(rows), 1)
        import hashlib
        self.assertEqual(rows[0][0], hashlib.sha256(sid.encode()).hexdigest())
        rows = db_query(self.services, "SELECT count(*) FROM sessions WHERE id_hash = %s", (sid,))
        self.assertEqual(rows[0][0], 0)

    # --- throttling ---------------------------------------------------------

    def test_account_throttled_after_five_failures(self):
        b, m, p = self.signed_up()
        for i in range(5):
            self.assertEqual(self.browser().login(m, f"wrong password {i:04d}").status, 401)
        r = self.browser().login(m, p)      # even the right password waits
        self.assertEqual(r.status, 429)
        self.assertIn("Too many failed log-in attempts", r.body)
        self.assertIn("minute", r.body)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertIsNone(self.browser().session_cookie())
        # Throttling is per account: another account from the same place is fine.
        b2, m2, p2 = self.signed_up()
        self.assertEqual(self.browser().login(m2, p2).status, 303)
        # The same holds on the other replica (state is in the database).
        r = self.browser(self.fe2).login(m, p)
        self.assertEqual(r.status, 429)
        metrics = fc.metrics(self.fe)
        self.assertRegex(metrics, r'parley_logins_total\{result="throttled"\} [1-9]')

    def test_unknown_account_throttled_too(self):
        m = fc.email()
        for i in range(5):
            self.assertEqual(self.browser().login(m, f"wrong password {i:04d}").status, 401)
        self.assertEqual(self.browser().login(m, "wrong password 9999").status, 429)

    def test_client_address_hard_cap(self):
        fe = fc.frontend(self.services, test=TEST, name="front-end-ipcap",
                         env={"LOGIN_IP_MAX_FAILURES": "6", "LOGIN_IP_WINDOW_S": "3600"})
        try:
            src = fc.random_source()
            for i in range(6):    # six different accounts, one address
                r = fc.Browser(fe.port, source=src).login(fc.email(), "wrong password 0000")
                self.assertEqual(r.status, 401)
            b, m, p = self.signed_up()
            r = fc.Browser(fe.port, source=src).login(m, p)
            self.assertEqual(r.status, 429)
            self.assertEqual(fc.Browser(fe.port).login(m, p).status, 303,
                             "other addresses are not affected")
        finally:
            self.assertEqual(fe.stop(), 0)

    # --- expiry and rehash --------------------------------------------------

    def test_idle_and_absolute_timeouts(self):
        fe = fc.frontend(self.services, test=TEST, name="front-end-timeouts",
                         env={"SESSION_IDLE_TIMEOUT_S": "2",
                              "SESSION_ABSOLUTE_TIMEOUT_S": "5"})
        try:
            m, p = fc.email(), fc.password()
            b = fc.Browser(fe.port)
            self.assertEqual(b.register(m, p).status, 303)
            time.sleep(3)       # idle past 2 s
            self.assertEqual(b.get("/secret").status, 303, "idle timeout")
            self.assertEqual(b.login(m, p).status, 303)
            start = time.monotonic()
            while time.monotonic() - start < 4:   # active, within absolute
                self.assertEqual(b.get("/secret").status, 200)
                time.sleep(1)
            h.wait_for(lambda: b.get("/secret").status == 303, 5, "absolute timeout")
            self.assertGreater(time.monotonic() - start, 4)
        finally:
            self.assertEqual(fe.stop(), 0)

    def test_rehash_on_login_when_parameters_change(self):
        b, m, p = self.signed_up()          # t=2 on the main replicas
        before = db_query(self.services, "SELECT hash FROM users WHERE email = %s", (m,))[0][0]
        self.assertIn("$argon2id$", before)
        self.assertIn("m=19456,t=2,p=1", before)
        fe = fc.frontend(self.services, test=TEST, name="front-end-t3",
                         env={"ARGON2_ITERATIONS": "3"})
        try:
            self.assertEqual(fc.Browser(fe.port).login(m, p).status, 303)
            after = db_query(self.services, "SELECT hash FROM users WHERE email = %s", (m,))[0][0]
            self.assertIn("m=19456,t=3,p=1", after)
            self.assertEqual(fc.Browser(fe.port).login(m, p).status, 303)
            self.assertEqual(self.browser().login(m, p).status, 303, "old replicas verify it")
        finally:
            self.assertEqual(fe.stop(), 0)

    def test_weak_argon2_parameters_refused(self):
        for env in ({"ARGON2_MEMORY_KIB": "8192"}, {"ARGON2_ITERATIONS": "1"},
                    {"SESSION_SECRET": "too-short"}, {"SESSION_SECRET": ""}):
            with self.subTest(env=env):
                e = {"AMQP_URL": self.services.amqp_url, "PORT": str(h.free_port()),
                     "SESSION_SECRET": fc.SECRET}
                e.update(env)
                d = h.Daemon("front-end", env=e, log_name="front-end-bad", test=TEST)
                d.proc.wait(timeout=10)
                self.assertNotEqual(d.proc.returncode, 0)
        self.assertIn("SESSION_SECRET must be set", d.log())

    # --- headers, operations, bad requests ----------------------------------

    def test_security_headers(self):
        b, m, p = self.signed_up()
        for path in ("/", "/login", "/secret"):
            r = b.get(path)
            with self.subTest(path=path):
                csp = r.header("Content-Security-Policy")
                self.assertIn("default-src 'none'", csp)
                self.assertIn("frame-ancestors 'none'", csp)
                self.assertIn("form-action 'self'", csp)
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
                self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
                self.assertEqual(r.header("Cache-Control"), "no-store")
                self.assertIsNone(r.header("Server"), "no version banner")
                self.assertNotIn("libmicrohttpd", str(r.headers).lower())
        for c in b.get("/", cookies=False).set_cookies + self.browser().register(
                fc.email(), fc.password()).set_cookies:
            self.assertIn("HttpOnly", c)
            self.assertIn("SameSite=Lax", c)
            self.assertIn("Path=/", c)
            self.assertNotIn("Secure", c)

    def test_secure_cookies(self):
        fe = fc.frontend(self.services, test=TEST, name="front-end-secure",
                         env={"COOKIE_SECURE": "1"})
        try:
            b = fc.Browser(fe.port, secure=True)
            r = b.register(fc.email(), fc.password())
            self.assertEqual(r.status, 303)
            self.assertTrue(r.set_cookies)
            for c in r.set_cookies:
                self.assertTrue(c.startswith("__Host-parley_"), c)
                self.assertIn("; Secure", c)
                self.assertIn("Path=/", c)
                self.assertNotIn("Domain", c)
            self.assertIn("max-age", r.header("Strict-Transport-Security"))
            self.assertEqual(b.get("/secret").status, 200)
            # the unprefixed name is not accepted when secure
            b.cookies = {"parley_session": b.session_cookie()}
            self.assertEqual(b.get("/secret").status, 303)
        finally:
            self.assertEqual(fe.stop(), 0)

    def test_static_and_operations(self):
        b = self.browser()
        r = b.get("/static/style.css")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/css"))
        self.assertIn("max-age", r.header("Cache-Control"))
        self.assertEqual(b.get("/healthz").status, 200)
        self.assertEqual(b.get("/readyz").status, 200)
        b.get("/login")
        self.assertEqual(b.get("/metrics").status, 404, "/metrics is not public")
        r = fc.Browser(self.fe.admin_port).get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain; version=0.0.4"))
        self.assertRegex(r.body, r'parley_http_requests_total\{route="/login",status="200"\} [1-9]')
        self.assertIn('parley_rpc_duration_seconds_bucket{action="SESSION_CREATE",le="+Inf"}',
                      r.body) if "SESSION_CREATE" in r.body else None
        self.assertIn("parley_logins_total{result=\"ok\"}", r.body)
        self.assertIn("parley_logins_total{result=\"failed\"}", r.body)
        self.assertIn("parley_password_hash_seconds_bucket", r.body)
        self.assertEqual(b.raw("HEAD", "/").status, 200)

    def test_rpc_histogram_in_metrics(self):
        self.signed_up()
        body = fc.metrics(self.fe)
        self.assertRegex(body, r'parley_rpc_duration_seconds_bucket\{action="REGISTER",le="\+Inf"\} [1-9]')
        self.assertRegex(body, r'parley_rpc_duration_seconds_count\{action="SESSION_CREATE"\} [1-9]')

    def test_healthcheck_cli(self):
        import subprocess
        env = dict(os.environ, PORT=str(self.fe.port))
        self.assertEqual(subprocess.run([os.path.join(h.BIN, "front-end"), "--healthcheck"],
                                        env=env, timeout=10).returncode, 0)
        env["PORT"] = str(h.free_port())
        self.assertEqual(subprocess.run([os.path.join(h.BIN, "front-end"), "--healthcheck"],
                                        env=env, timeout=10).returncode, 1)

    def test_not_found_and_methods(self):
        b = self.browser()
        self.assertEqual(b.get("/nope").status, 404)
        self.assertEqual(b.get("/secret/../etc/passwd").status, 404)
        r = b.raw("PUT", "/login", body="x")
        self.assertEqual(r.status, 405)
        self.assertIn("POST", r.header("Allow"))
        self.assertEqual(b.raw("DELETE", "/").status, 405)
        self.assertEqual(b.raw("BREW", "/").status, 405)
        self.assertEqual(b.get("/logout").status, 405)
        self.assertEqual(b.post("/secret", {}).status, 405)

    def test_bad_bodies(self):
        b = self.browser()
        tok = b.token()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        big = f"csrf_token={tok}&email=a%40b.c&password=" + "x" * 9000
        self.assertEqual(b.raw("POST", "/login", body=big, headers=form).status, 413)
        self.assertEqual(b.raw("POST", "/login", body="a=%zz&csrf_token=" + tok,
                               headers=form).status, 400)
        self.assertEqual(b.raw("POST", "/login", body="email=%ff%fe&csrf_token=" + tok,
                               headers=form).status, 400)
        self.assertEqual(b.raw("POST", "/login", body="email=a%00b&csrf_token=" + tok,
                               headers=form).status, 400)
        self.assertEqual(b.raw("POST", "/login", body=f"csrf_token={tok}&csrf_token={tok}",
                               headers=form).status, 400)
        self.assertEqual(b.raw("POST", "/login", body="{}",
                               headers={"Content-Type": "application/json"}).status, 415)
        self.assertEqual(b.raw("POST", "/login", body="x=1",
                               headers={"Content-Type": "multipart/form-data; boundary=x"}).status, 415)

    def test_oversized_declared_length_refused_before_reading(self):
        req = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/x-www-form-urlencoded\r\nContent-Length: 100000000\r\n\r\n")
        out = fc.raw_http(self.fe.port, req)
        self.assertTrue(out.startswith("HTTP/1.1 413"), out[:200])

    def test_malformed_requests(self):
        for req in (b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 40000 + b"\r\n\r\n",
                    b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n\r\nZZ\r\n"):
            with self.subTest(req=req[:40]):
                out = fc.raw_http(self.fe.port, req, timeout=5)
                self.assertRegex(out[:12], r"HTTP/1\.[01] 4\d\d")
        self.assertEqual(self.browser().get("/healthz").status, 200)

    def test_concurrent_logins_do_not_block_other_requests(self):
        """While Argon2id work is queued, cheap pages still answer fast."""
        import threading
        b, m, p = self.signed_up()
        results = []

        def login():
            results.append(self.browser().login(m, p).status)
        threads = [threading.Thread(target=login) for _ in range(12)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        t0 = time.monotonic()
        self.assertEqual(self.browser().get("/healthz").status, 200)
        self.assertEqual(self.browser().get("/login").status, 200)
        fast = time.monotonic() - t0
        for t in threads:
            t.join(60)
        self.assertEqual(results, [303] * 12)
        self.assertLess(fast, 0.5, "an HTTP thread waited for hashing")


if __name__ == "__main__":
    unittest.main(verbosity=2)
