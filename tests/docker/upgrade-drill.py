#!/usr/bin/env python3
"""`docker-compose up` on yesterday's data (issue 14), by hand:

    flock /run/parley-docker-tests.lock tests/docker/upgrade-drill.py

1. The compose file and db/ of OLD_REV (default 9a55b4a, before db/040) start only `db`
   on a fresh volume; an account with a known password and a session go in with psql.
2. `db` stops (the volume stays); the current tree's `up -d --build` starts everything on
   that volume: `db-migrate` must exit 0 and every daemon become healthy.
3. The old account logs in over HTTP, /account shows it (with an id), yesterday's session
   row is there, `docker-compose exec back-end back-end --recovery-link` prints a link that
   works once, and `up` a second time (db-migrate again) keeps everything.
4. `down -v`.
Uses the stand-in images of tests/docker/standins and free host ports; project name
`accupgrade`. Not in ctest: it builds the images (minutes). Exit 0 when every check
passed, 1 otherwise, 77 without a Docker engine.
"""
import ctypes
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "frontend"))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
import fe_client as fc  # noqa: E402

OLD_REV = os.environ.get("OLD_REV", "9a55b4a")
PROJECT = os.environ.get("PROJECT", "accupgrade")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENV = dict(os.environ,
           POSTGRES_IMAGE=os.environ.get("POSTGRES_STANDIN", "parley-test/postgres:local"),
           RABBITMQ_IMAGE=os.environ.get("RABBITMQ_STANDIN", "parley-test/rabbitmq:local"),
           HTTP_PORT=str(free_port()), CHAT_PORT=str(free_port()),
           RABBITMQ_UI_PORT=str(free_port()), ADMINER_PORT=str(free_port()))


def log(msg):
    print(f"upgrade-drill: {msg}", flush=True)


def run(cmd, cwd=ROOT, check=True, timeout=900, **kw):
    p = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-2000:]}"
                             f"\n{p.stderr[-3000:]}")
    return p


def compose(cwd, *args, **kw):
    return run(["docker-compose", "-p", PROJECT] + list(args), cwd=cwd, **kw)


def container(cwd, service):
    return compose(cwd, "ps", "-a", "-q", service).stdout.strip()


def state(cid, fmt):
    return run(["docker", "inspect", "-f", fmt, cid]).stdout.strip()


def wait(what, pred, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(1)
    raise AssertionError(f"timed out: {what}")


def healthy(cwd, service):
    cid = container(cwd, service)
    return cid != "" and state(cid, "{{if .State.Health}}{{.State.Health.Status}}"
                               "{{end}}") == "healthy"


def argon2id(password):
    sodium = ctypes.CDLL("libsodium.so.23")
    assert sodium.sodium_init() >= 0
    out = ctypes.create_string_buffer(128)
    pw = password.encode()
    assert sodium.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)),
                                    ctypes.c_ulonglong(2), ctypes.c_size_t(19456 * 1024)) == 0
    return out.value.decode()


def psql(cwd, sql):
    return compose(cwd, "exec", "-T", "db", "sh", "-c",
                   'psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
                   input=sql).stdout.strip()


def main():
    if run([os.path.join(HERE, "engine.sh"), "start", str(os.getpid())],
           check=False).returncode != 0:
        return 77
    old = tempfile.mkdtemp(prefix="parley-old-")
    try:
        run([os.path.join(HERE, "standins", "build.sh")], timeout=1800)
        run(["sh", "-c", f"git -C {ROOT} archive {OLD_REV} | tar -x -C {old}"])
        compose(ROOT, "down", "-v", check=False)
        email, password = fc.email("old"), fc.password()
        # 1. Yesterday's schema and data.
        compose(old, "up", "-d", "db")
        wait("old db healthy", lambda: healthy(old, "db"))
        psql(old, f"INSERT INTO users (email, hash) VALUES ('{email}', '{argon2id(password)}');"
                  f"INSERT INTO sessions (id_hash, email, idle_timeout, expires_at) VALUES "
                  f"('{'c' * 64}', '{email}', '30 minutes', now() + interval '1 hour');")
        cols = psql(old, "SELECT count(*) FROM information_schema.columns "
                         "WHERE table_name = 'users' AND column_name = 'id'")
        assert cols == "0", "the old schema must not have users.id"
        compose(old, "stop", "db")
        compose(old, "rm", "-f", "db")
        log(f"old volume ready ({OLD_REV}): account {email}")
        # 2. Today's tree on that volume.
        start = time.monotonic()
        compose(ROOT, "up", "-d", "--build", timeout=1800)
        for s in ("db", "back-end", "front-end"):
            wait(f"{s} healthy", lambda s=s: healthy(ROOT, s))
        mig = container(ROOT, "db-migrate")
        assert state(mig, "{{.State.Status}} {{.State.ExitCode}}") == "exited 0", \
            compose(ROOT, "logs", "db-migrate").stdout
        log(f"up on the old volume: db-migrate exited 0, all healthy in "
            f"{time.monotonic() - start:.0f}s")
        # 3. The old account works, with the new features.
        port = int(ENV["HTTP_PORT"])
        b = fc.Browser(port, source="127.0.0.1")
        r = b.login(email, password)
        assert r.status == 303, f"old account log-in: {r.status}"
        r = b.get("/account")
        assert r.status == 200 and email in r.body, f"/account: {r.status}"
        assert psql(ROOT, f"SELECT id IS NOT NULL FROM users WHERE email = '{email}'") == "t"
        assert psql(ROOT, f"SELECT count(*) FROM sessions WHERE id_hash = '{'c' * 64}'") == "1"
        link = compose(ROOT, "exec", "-T", "-e", f"PUBLIC_URL=http://127.0.0.1:{port}",
                       "back-end", "back-end", "--recovery-link", email).stdout.strip()
        m = re.fullmatch(rf"http://127\.0\.0\.1:{port}(/recover\?token=[A-Za-z0-9_-]{{43}})", link)
        assert m, f"recovery link: {link!r}"
        anon = fc.Browser(port, source="127.0.0.1")
        r = anon.get(m.group(1))
        assert r.status == 200, f"recovery form: {r.status}"
        new = fc.password()
        r = anon.post("/recover", {"token": link.split("token=")[1], "new_password": new,
                                   "csrf_token": r.csrf()})
        assert r.status == 200, f"recovery: {r.status}"
        assert anon.get(m.group(1)).status == 410
        assert fc.Browser(port, source="127.0.0.1").login(email, new).status == 303
        log("old account logs in, /account, recovery link via exec back-end: ok")
        # A second up runs db-migrate again on the upgraded volume.
        compose(ROOT, "up", "-d")
        wait("db-migrate again", lambda: state(container(ROOT, "db-migrate"),
                                               "{{.State.Status}}") == "exited")
        assert state(container(ROOT, "db-migrate"), "{{.State.ExitCode}}") == "0"
        assert fc.Browser(port, source="127.0.0.1").login(email, new).status == 303
        log("second up: db-migrate exited 0 again, account kept")
        return 0
    except AssertionError as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        if os.environ.get("KEEP") != "1":
            compose(ROOT, "down", "-v", check=False)
            compose(old, "down", "-v", check=False)
        subprocess.run(["rm", "-rf", old])
        run([os.path.join(HERE, "engine.sh"), "release", str(os.getpid())], check=False)


if __name__ == "__main__":
    sys.exit(main())
