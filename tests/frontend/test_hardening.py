"""Front-end HTTP hardening (issue 11 items 2 and 8): slowloris connections
cannot keep a fresh client out, a request's header and body have a deadline,
ambiguous framing (request smuggling) is refused, libmicrohttpd's own error
answers close the connection and echo nothing, /metrics is only on the admin
port.  No back end is needed: the front end is driven over raw sockets."""
import os
import socket
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

TEST = "frontend_hardening"
SOURCES = [f"127.0.0.{i}" for i in range(2, 18)]   # 16 loopback addresses


def connect(port, source="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def read_all(s):
    """Everything the server sends until it closes (or goes silent 5 s)."""
    s.settimeout(5)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return out, True
            out += b
    except socket.timeout:
        return out, False
    except ConnectionResetError:
        return out, True


def exchange(port, data):
    """(status line, headers dict, body, closed) of one raw request."""
    with connect(port) as s:
        s.sendall(data)
        out, closed = read_all(s)
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, body, closed


def trickle_until_closed(s, pieces, every=0.3, limit=10.0):
    """Send pieces one by one; seconds until the server closed, or None."""
    start = time.monotonic()
    for p in pieces:
        if time.monotonic() - start > limit:
            break
        try:
            s.sendall(p)
            s.settimeout(every)
            if s.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
    return None


class FrontendHardening(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()
        # A queue nobody serves (so the administrator's user, which may
        # declare it): requests that call the back end wait for the RPC
        # timeout, longer than the request deadline.
        cls.fe = fc.frontend(cls.services, test=TEST, env={
            "AMQP_URL": cls.services.amqp_url,
            "HTTP_MAX_CONN": "100", "HTTP_REQUEST_TIMEOUT_S": "1",
            "RPC_TIMEOUT_MS": "2500", "RPC_QUEUE": "hardening-" + uuid.uuid4().hex[:8]})

    @classmethod
    def tearDownClass(cls):
        assert cls.fe.stop() == 0, "front-end did not stop cleanly"

    def test_fresh_client_answered_beside_trickling_connections(self):
        held = []
        try:
            for i in range(200):
                s = connect(self.fe.port, SOURCES[i % len(SOURCES)])
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-a: ")
                held.append(s)
            r = fc.Browser(self.fe.port, source="127.0.0.99").get("/healthz", timeout=5)
            self.assertEqual(r.status, 200)
        finally:
            for s in held:
                s.close()
        self.assertRegex(fc.metrics(self.fe),
                         r'parley_http_connections_closed_total\{reason="connection-cap"\} '
                         r'[1-9]')

    def test_trickled_header_has_a_deadline(self):
        # One header line every 0.3 s never trips the 30 s inactivity timeout.
        with connect(self.fe.port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            took = trickle_until_closed(s, (b"X-%d: y\r\n" % i for i in range(100)))
        self.assertIsNotNone(took, "a trickled header was never cut off")

    def test_trickled_body_has_a_deadline(self):
        with connect(self.fe.port) as s:
            s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
            took = trickle_until_closed(s, (b"a" for _ in range(100)))
        self.assertIsNotNone(took, "a trickled body was never cut off")

    def test_request_waiting_for_the_back_end_is_not_cut(self):
        # The whole request is here; the deadline is the client's, not ours.
        b = fc.Browser(self.fe.port)
        tok = b.token("/login")
        r = b.post("/login", {"email": "a@example.com", "password": "x" * 12,
                              "csrf_token": tok})
        self.assertEqual(r.status, 503, "the back end never answers here")

    def test_ambiguous_framing_refused(self):
        cases = {
            "content-length and transfer-encoding":
                b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "two content-lengths":
                b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
                b"Content-Length: 5\r\n\r\n",
            "two hosts": b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(case=name):
                status, headers, _, closed = exchange(self.fe.port, data)
                self.assertIn(" 400 ", status)
                self.assertEqual(headers.get("connection"), "close")
                self.assertTrue(closed, "the connection stays open")
                self.assertEqual(headers.get("x-content-type-options"), "nosniff")
        status, _, _, _ = exchange(self.fe.port, b"GET /healthz HTTP/1.1\r\nHost: a\r\n"
                                   b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        self.assertIn(" 200 ", status, "one Content-Length is fine")

    def test_libmicrohttpd_error_answers(self):
        # libmicrohttpd writes these itself, before any callback of ours
        # (docs/frontend.md): they close the connection and echo nothing.
        marker = b"zq" * 8
        cases = {
            "400": b"GET /healthz HTTP/1.1\r\nX-" + marker + b": 1\r\n\r\n",
            "414": b"GET /" + marker * 3000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
            "431": b"GET / HTTP/1.1\r\nHost: a\r\nX: " + marker * 3000 + b"\r\n\r\n",
            "505": b"GET /" + marker + b" HTTP/2.0\r\nHost: a\r\n\r\n",
        }
        for code, data in cases.items():
            with self.subTest(status=code):
                status, headers, body, closed = exchange(self.fe.port, data)
                self.assertIn(f" {code} ", status)
                self.assertEqual(headers.get("connection"), "close")
                self.assertTrue(closed)
                self.assertNotIn(marker, body)

    def test_metrics_only_on_the_admin_port(self):
        self.assertEqual(fc.Browser(self.fe.port).get("/metrics").status, 404)
        r = fc.Browser(self.fe.admin_port).get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertIn("parley_http_connections ", r.body)


# Addresses of our own on the loopback interface (root: the suite's case):
# three in one /64, one in another.
SAME_64 = ["fd00:5e:1::1", "fd00:5e:1::2", "fd00:5e:1::3", "fd00:5e:1::4"]
OTHER_64 = "fd00:5e:2::1"


def add_lo_addresses(addrs):
    """Add addrs to lo; the ones added, or None when we may not."""
    added = []
    for a in addrs:
        r = subprocess.run(["ip", "-6", "addr", "add", f"{a}/64", "dev", "lo", "nodad"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            del_lo_addresses(added)
            return None
        added.append(a)
    return added


def del_lo_addresses(addrs):
    for a in addrs:
        subprocess.run(["ip", "-6", "addr", "del", f"{a}/64", "dev", "lo"],
                       capture_output=True)


def connect6(port, source, dest=SAME_64[0]):
    return socket.create_connection((dest, port), timeout=5, source_address=(source, 0))


class PerClientCap(unittest.TestCase):
    """HTTP_MAX_CONN_PER_IP counts an IPv6 client per HTTP_IPV6_PREFIX bits:
    other addresses of one /64 share its allowance (libmicrohttpd's own
    limit counted exact addresses, so a /64 held 2^64 allowances)."""

    @classmethod
    def setUpClass(cls):
        cls.added = add_lo_addresses(SAME_64 + [OTHER_64])
        if cls.added is None:
            raise unittest.SkipTest("cannot add IPv6 addresses to lo (not root)")
        cls.services = h.shared_services()
        cls.fe = fc.frontend(cls.services, test=TEST, name="front-end-per-client", env={
            "HTTP_MAX_CONN_PER_IP": "3", "HTTP_IPV6_PREFIX": "64"})

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.fe.stop() == 0, "front-end did not stop cleanly"
        finally:
            del_lo_addresses(cls.added)

    def healthz(self, source):
        """The answer's status line to GET /healthz from source, or None if
        the front end closed the connection without one."""
        with connect6(self.fe.port, source) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            out, _ = read_all(s)
        return out.split(b"\r\n", 1)[0].decode() if out else None

    def test_one_prefix_shares_one_allowance(self):
        held = []
        try:
            for src in SAME_64[1:]:         # three addresses of one /64
                s = connect6(self.fe.port, src)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-a: ")
                held.append(s)
            time.sleep(0.2)                 # the front end has counted them
            self.assertIsNone(self.healthz(SAME_64[0]),
                              "a fourth address of the same /64 was let in")
            self.assertIn("200", self.healthz(OTHER_64) or "", "another /64 is not affected")
            r = fc.Browser(self.fe.port).get("/healthz")
            self.assertEqual(r.status, 200, "IPv4 clients are not affected")
        finally:
            for s in held:
                s.close()
        time.sleep(0.2)
        self.assertIn("200", self.healthz(SAME_64[0]) or "", "closing gives the allowance back")
        self.assertRegex(fc.metrics(self.fe),
                         r'parley_http_connections_refused_total\{reason="per-client"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
