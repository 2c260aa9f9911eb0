"""Helpers for the front-end tests: start front-ends, and a tiny browser.

Browser keeps cookies like a real one (per name, Max-Age=0 deletes), never
follows redirects, and sends from its own random 127.x.y.z source address
so per-address throttling in one test cannot affect another.
"""
import http.client
import os
import random
import re
import secrets
import socket
import uuid

import parley_harness as h

SECRET = "test-secret-" + "x" * 40


def email(tag="u"):
    return f"{tag}{uuid.uuid4().hex[:12]}@example.com"


def password():
    return "correct horse " + secrets.token_hex(6)


def _retry_port_race(start, attempts=4):
    """free_port() can race with other processes on a shared machine:
    try again with a new port when the daemon could not listen."""
    for i in range(attempts):
        try:
            return start()
        except AssertionError as exc:
            if "cannot listen" not in str(exc) or i == attempts - 1:
                raise


def frontend(services, env=None, name="front-end", test=None, wait=True):
    """Start a front-end on a free port (and admin port); wait for /readyz."""
    def start():
        port, admin_port = h.free_port(), h.free_port()
        e = {"AMQP_URL": services.amqp_url_for("front"), "PORT": str(port),
             "ADMIN_PORT": str(admin_port),
             "SESSION_SECRET": SECRET, "AMQP_HEARTBEAT": "5",
             "HTTP_MAX_CONN_PER_IP": "0", "RPC_TIMEOUT_MS": "3000"}
        e.update(env or {})
        d = h.Daemon("front-end", env=e, log_name=name, test=test)
        d.port = port
        d.admin_port = admin_port
        if wait:
            d.wait_http(port)
        else:
            d.wait_http(port, path="/healthz")
        return d
    return _retry_port_race(start)


def metrics(fe):
    """The front end's /metrics, from its admin port (not the public one)."""
    return Browser(fe.admin_port).get("/metrics").body


def backend(services, test=None, env=None):
    return _retry_port_race(lambda: h.backend(services, replicas=1, test=test, env=env)[0])


def random_source():
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"


class Response:
    def __init__(self, resp, body):
        self.status = resp.status
        self.headers = resp.msg
        self.body = body.decode("utf-8", "replace")
        self.set_cookies = resp.msg.get_all("Set-Cookie") or []

    def header(self, name):
        return self.headers.get(name)

    def csrf(self):
        m = re.search(r'name="csrf_token" value="([^"]+)"', self.body)
        return m.group(1) if m else None


class Browser:
    def __init__(self, port, source=None, secure=False):
        self.port = port
        self.source = source or random_source()
        self.cookies = {}
        self.secure = secure

    def raw(self, method, path, body=None, headers=None, cookies=True, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(self.source, 0))
        hdrs = dict(headers or {})
        if cookies and self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            r = Response(resp, resp.read())
        finally:
            conn.close()
        for c in r.set_cookies:
            name, _, rest = c.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in c:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r

    def get(self, path, **kw):
        return self.raw("GET", path, **kw)

    def post(self, path, fields, **kw):
        from urllib.parse import urlencode
        return self.raw("POST", path, body=urlencode(fields),
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, **kw)

    def token(self, path="/login"):
        # Signed-in pages carry it in the log-out form; anonymous ones in
        # the log-in form.
        for p in (path, "/", "/login"):
            r = self.get(p)
            tok = r.csrf()
            if tok is not None:
                break
        assert tok, f"no csrf token on {path}: {r.status}"
        return tok

    def register(self, mail, pw):
        return self.post("/register", {"email": mail, "password": pw,
                                       "csrf_token": self.token("/register")})

    def login(self, mail, pw):
        return self.post("/login", {"email": mail, "password": pw,
                                    "csrf_token": self.token("/login")})

    def logout(self):
        return self.post("/logout", {"csrf_token": self.token("/")})

    def session_cookie(self):
        return self.cookies.get("__Host-parley_session" if self.secure else "parley_session")


def raw_http(port, data, timeout=10):
    """Send bytes, return the whole answer (the server closes or times out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 0:
                    # enough to read the status line and headers
                    s.settimeout(1)
        except socket.timeout:
            pass
    return b"".join(chunks).decode("latin-1")
