"""Front end when its dependencies fail: back end down or silent -> 503
page within RPC_TIMEOUT_MS, then recovery; RabbitMQ restart -> /readyz
goes 503, the front end reconnects by itself and serves again.  Uses
private RabbitMQ and PostgreSQL (it restarts them)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

TEST = "frontend_faults"
TIMEOUT_MS = 1000


class FrontendFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.private_services()
        cls.backend = fc.backend(cls.services, test=TEST)
        cls.fe = fc.frontend(cls.services, test=TEST,
                             env={"RPC_TIMEOUT_MS": str(TIMEOUT_MS)})

    @classmethod
    def tearDownClass(cls):
        assert cls.fe.stop() == 0
        if cls.backend.alive():
            cls.backend.stop()

    def ensure_backend(self):
        if not self.backend.alive():
            self.__class__.backend = fc.backend(self.services, test=TEST)

    def test_backend_down_then_back(self):
        self.ensure_backend()
        b, m, p = fc.Browser(self.fe.port), fc.email(), fc.password()
        self.assertEqual(b.register(m, p).status, 303)
        self.backend.stop()
        # Nobody consumes "request": every page that needs the back end
        # answers 503 after the RPC timeout, not later, and never hangs.
        for what, call in (("login", lambda: fc.Browser(self.fe.port).login(m, p)),
                           ("secret with a session", lambda: b.get("/secret")),
                           ("register", lambda: fc.Browser(self.fe.port).register(
                               fc.email(), fc.password()))):
            with self.subTest(what):
                t = time.monotonic()
                r = call()
                took = time.monotonic() - t
                self.assertEqual(r.status, 503)
                self.assertIn("temporarily unavailable", r.body)
                self.assertEqual(r.header("Retry-After"), "5")
                self.assertLess(took, TIMEOUT_MS / 1000 + 2.0)
        # Pages that need no back end still work.
        self.assertEqual(fc.Browser(self.fe.port).get("/login").status, 200)
        self.assertEqual(fc.Browser(self.fe.port).get("/healthz").status, 200)
        self.assertEqual(fc.Browser(self.fe.port).get("/readyz").status, 200,
                         "RabbitMQ is still up")
        self.assertRegex(fc.metrics(self.fe),
                         r'parley_rpc_requests_total\{action="[A-Z_]+",result="timeout"\} [1-9]')
        self.__class__.backend = fc.backend(self.services, test=TEST)
        self.assertEqual(b.get("/secret").status, 200, "the session survived")
        self.assertEqual(fc.Browser(self.fe.port).login(m, p).status, 303)

    def test_rabbitmq_restart(self):
        self.ensure_backend()
        b, m, p = fc.Browser(self.fe.port), fc.email(), fc.password()
        self.assertEqual(b.register(m, p).status, 303)
        self.services.rabbitmq.stop()
        try:
            h.wait_for(lambda: h.http_status(f"http://127.0.0.1:{self.fe.port}/readyz") == 503,
                       30, "/readyz to report the lost link")
            t = time.monotonic()
            r = fc.Browser(self.fe.port).login(m, p)
            self.assertEqual(r.status, 503)
            self.assertLess(time.monotonic() - t, 2.0, "no waiting when the link is down")
            self.assertEqual(b.get("/secret").status, 503)
            self.assertEqual(fc.Browser(self.fe.port).get("/healthz").status, 200)
        finally:
            self.services.rabbitmq.start()
        self.fe.wait_http(self.fe.port, "/readyz", timeout=60)
        self.backend.wait_http(self.backend.admin_port, "/readyz", timeout=60)
        h.wait_for(lambda: fc.Browser(self.fe.port).login(m, p).status == 303, 30,
                   "log-in after RabbitMQ came back")
        self.assertEqual(b.get("/secret").status, 200)
        self.assertIn("amqp connect", self.fe.log())

    def test_database_down_gives_503(self):
        self.ensure_backend()
        b, m, p = fc.Browser(self.fe.port), fc.email(), fc.password()
        self.assertEqual(b.register(m, p).status, 303)
        other = fc.Browser(self.fe.port)
        other_token = other.token("/login")
        token = b.token("/")
        self.services.postgres.stop()
        try:
            r = other.post("/login", {"email": m, "password": p, "csrf_token": other_token})
            self.assertEqual(r.status, 503)
            self.assertEqual(b.get("/secret").status, 503, "unknown is not 'signed out'")
            r = b.post("/logout", {"csrf_token": token})
            self.assertEqual(r.status, 503, "logout must not pretend")
        finally:
            self.services.postgres.start()
        h.wait_for(lambda: b.get("/secret").status == 200, 30, "database back")


if __name__ == "__main__":
    unittest.main(verbosity=2)
