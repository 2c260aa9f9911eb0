"""Test harness: real PostgreSQL and RabbitMQ on loopback, and the daemons.

Every server runs in its own temporary directory on free ports and is
stopped when the test ends (atexit and context managers), even on failure.

Shared instances: tests/run starts one PostgreSQL and one RabbitMQ for the
whole suite and exports PARLEY_TEST_AMQP_URL / PARLEY_TEST_DATABASE_URL;
`shared_services()` reuses them, or starts private ones when a test runs
alone.  Fault tests that restart servers always start their own.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("PARLEY_BIN", os.path.join(ROOT, "build", "bin"))
ARTIFACTS = os.environ.get("PARLEY_ARTIFACTS", os.path.join(ROOT, "tests", "artifacts"))
PGBIN = os.environ.get("PARLEY_PGBIN") or next(
    (os.path.join("/usr/lib/postgresql", v, "bin")
     for v in sorted(os.listdir("/usr/lib/postgresql"), key=int, reverse=True)
     if os.path.exists(os.path.join("/usr/lib/postgresql", v, "bin", "initdb"))),
    None) if os.path.isdir("/usr/lib/postgresql") else None
RABBIT_BIN = "/usr/lib/rabbitmq/bin"

_cleanups = []


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as exc:  # cleanup must go on
            print(f"harness: cleanup failed: {exc}", file=sys.stderr)


atexit.register(_run_cleanups)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, lambda *_: sys.exit(1))


def free_port():
    """A TCP port free on 127.0.0.1 right now, below Linux's ephemeral range
    (32768+), so outgoing connections of other processes cannot take it
    between this call and the daemon's bind."""
    import random
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def wait_for(predicate, timeout, what, interval=0.05):
    """Poll predicate until it returns a true value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


_fresh_artifacts = set()


def artifact_dir(name):
    """tests/artifacts/<name>, emptied the first time this process asks."""
    path = os.path.join(ARTIFACTS, name)
    if name not in _fresh_artifacts:
        shutil.rmtree(path, ignore_errors=True)
        _fresh_artifacts.add(name)
    os.makedirs(path, exist_ok=True)
    return path


def _tmpdir(prefix, owner):
    path = tempfile.mkdtemp(prefix=f"parley-{prefix}-")
    shutil.chown(path, owner, owner)
    os.chmod(path, 0o700)
    _cleanups.append(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def _as_user(user, argv, env=None, **kw):
    return subprocess.run(["runuser", "-u", user, "--"] + argv, env=env,
                          check=True, capture_output=True, text=True, **kw)


class Postgres:
    """A private PostgreSQL cluster with database `parley`, schema from db/."""

    def __init__(self):
        if PGBIN is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.dir = _tmpdir("pg", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.password = uuid.uuid4().hex
        self.running = False
        _as_user("postgres", [f"{PGBIN}/initdb", "-D", self.data, "-U", "postgres",
                              "--auth-local=trust", "--auth-host=scram-sha-256",
                              "-E", "UTF8", "--locale=C.UTF-8"])
        self.start()
        self.psql("CREATE ROLE parley LOGIN PASSWORD '%s'" % self.password)
        self.psql("CREATE DATABASE parley OWNER parley")
        self.apply_schema()
        _cleanups.append(self.stop)

    @property
    def url(self):
        return f"postgresql://parley:{self.password}@127.0.0.1:{self.port}/parley"

    def _pg_ctl(self, *args):
        return _as_user("postgres", [f"{PGBIN}/pg_ctl", "-D", self.data] + list(args),
                        timeout=60)

    def start(self):
        self._pg_ctl("-l", os.path.join(self.dir, "server.log"), "-w", "-o",
                     f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c max_connections=200", "start")
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self._pg_ctl("-m", mode, "-w", "stop")
            self.running = False

    def restart(self):
        self.stop()
        self.start()

    def psql(self, sql, db="postgres"):
        return _as_user("postgres", ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                     "-h", self.dir, "-p", str(self.port), "-d", db,
                                     "-c", sql]).stdout.strip()

    def query(self, sql):
        """Run sql in database parley as superuser; rows as lists of strings."""
        out = self.psql(sql, db="parley")
        return [line.split("|") for line in out.splitlines() if line]

    def apply_schema(self):
        env = dict(os.environ, PGPASSWORD=self.password)
        for name in sorted(os.listdir(os.path.join(ROOT, "db"))):
            if name.endswith(".sql"):
                subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                "-h", "127.0.0.1", "-p", str(self.port), "-U", "parley",
                                "-d", "parley", "-f", os.path.join(ROOT, "db", name)],
                               env=env, check=True, capture_output=True, text=True)


# The daemons' RabbitMQ users (scripts/rabbitmq-users.sh, docs/threat-model.md) by role; "admin"
# is the harness's own administrator `parley`, which no daemon should use.
AMQP_USERS = {"front": "parley-front", "back": "parley-back", "chat": "parley-chat"}
AMQP_ROLES = tuple(AMQP_USERS) + ("admin",)
_role_urls = {}  # admin URL -> {role: URL}, for amqp_url_as()


def amqp_url_as(url, role):
    """The URL of role's user on the broker whose admin URL is url (url itself when
    the broker is not one of the harness's, e.g. a deliberately unreachable one)."""
    if role not in AMQP_ROLES:
        raise ValueError(f"unknown AMQP role {role!r}")
    return _role_urls.get(url, {}).get(role, url)


class RabbitMQ:
    """A private RabbitMQ node: administrator `parley` for the tests' own tooling, and
    the daemons' least-privilege users of scripts/rabbitmq-users.sh (no guest)."""

    def __init__(self):
        self.dir = _tmpdir("rabbit", "rabbitmq")
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"parley{self.port}@localhost"
        self.password = uuid.uuid4().hex
        self.passwords = {role: uuid.uuid4().hex for role in AMQP_USERS}
        self.proc = None
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[].\n")
        shutil.chown(os.path.join(self.dir, "enabled_plugins"), "rabbitmq", "rabbitmq")
        self.start()
        self.ctl("add_user", "parley", self.password)
        self.ctl("set_permissions", "-p", "/", "parley", ".*", ".*", ".*")
        self.ctl("delete_user", "guest")
        self.create_users()
        _role_urls[self.url] = {role: self.url_for(role) for role in AMQP_ROLES}
        _cleanups.append(self.stop)

    @property
    def url(self):
        return f"amqp://parley:{self.password}@127.0.0.1:{self.port}"

    def url_for(self, role):
        if role == "admin":
            return self.url
        return (f"amqp://{AMQP_USERS[role]}:{self.passwords[role]}"
                f"@127.0.0.1:{self.port}")

    def create_users(self):
        """The daemons' users, exactly as docker-compose creates them."""
        env = dict(self._env(), RABBITMQCTL=" ".join(self._ctl_argv()),
                   **{f"PARLEY_MQ_{role.upper()}_PASS": pw
                      for role, pw in self.passwords.items()})
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "rabbitmq-users.sh")],
                       env=env, check=True, capture_output=True, text=True, timeout=120)

    def _ctl_argv(self):
        return ["runuser", "-u", "rabbitmq", "--", f"{RABBIT_BIN}/rabbitmqctl", "-n",
                self.node]

    def _env(self):
        return dict(os.environ, HOME="/var/lib/rabbitmq", RABBITMQ_NODENAME=self.node,
                    RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                    RABBITMQ_NODE_PORT=str(self.port),
                    RABBITMQ_DIST_PORT=str(self.dist_port),
                    RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                    RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                    RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                    RABBITMQ_PID_FILE=os.path.join(self.dir, "pid"))

    def ctl(self, *args, timeout=60):
        return subprocess.run(self._ctl_argv() + list(args), env=self._env(), check=True,
                              capture_output=True, text=True, timeout=timeout).stdout

    def start(self):
        log = open(os.path.join(self.dir, "server.out"), "ab")
        self.proc = subprocess.Popen(["runuser", "-u", "rabbitmq", "--",
                                      f"{RABBIT_BIN}/rabbitmq-server"], env=self._env(),
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()

        def booted():
            if self.proc.poll() is not None:
                raise AssertionError(f"rabbitmq-server exited: see {self.dir}/server.out")
            try:
                self.ctl("--timeout", "10", "await_startup", timeout=30)
                return True
            except subprocess.CalledProcessError:
                return False  # the node has not registered with epmd yet
        wait_for(booted, 120, "RabbitMQ to boot", interval=1)

    def stop(self):
        if self.proc is None:
            return
        try:
            self.ctl("stop", timeout=60)
        except Exception:
            os.killpg(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def kill(self):
        """Hard stop (SIGKILL the whole node), as a crash would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def pause(self):
        """Freeze the node (SIGSTOP): connections stay open but go silent."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.killpg(self.proc.pid, signal.SIGCONT)


class Services:
    """amqp_url is the administrator's (tests' own tooling); daemons and test clients
    that act as a daemon use amqp_url_for(role)."""

    def __init__(self, amqp_url, database_url, postgres=None, rabbitmq=None):
        self.amqp_url = amqp_url
        self.database_url = database_url
        self.postgres = postgres
        self.rabbitmq = rabbitmq

    def amqp_url_for(self, role):
        """role: 'front', 'back', 'chat' (the daemons' users) or 'admin'."""
        return amqp_url_as(self.amqp_url, role)


def shared_services():
    """The suite's shared servers if tests/run started them, else private ones."""
    amqp = os.environ.get("PARLEY_TEST_AMQP_URL")
    db = os.environ.get("PARLEY_TEST_DATABASE_URL")
    if amqp and db:
        roles = {role: os.environ.get(f"PARLEY_TEST_AMQP_URL_{role.upper()}")
                 for role in AMQP_USERS}
        if all(roles.values()):
            _role_urls[amqp] = dict(roles, admin=amqp)
        return Services(amqp, db)
    return private_services()


def private_services():
    pg, rabbit = Postgres(), RabbitMQ()
    return Services(rabbit.url, pg.url, pg, rabbit)


class Daemon:
    """One of build/bin's daemons, logging to tests/artifacts/<test>/<name>.log."""

    def __init__(self, name, args=(), env=None, log_name=None, test=None):
        self.name = name
        test = test or os.path.splitext(os.path.basename(sys.argv[0]))[0]
        self.log_path = os.path.join(artifact_dir(test), (log_name or name) + ".log")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.env = full_env
        self.args = list(args)
        self.proc = None
        self.start()
        _cleanups.append(self.stop)

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([os.path.join(BIN, self.name)] + self.args, env=self.env,
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not exit within {timeout}s of SIGTERM")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_http(self, port, path="/readyz", timeout=30, status=200):
        def ok():
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
            return http_status(f"http://127.0.0.1:{port}{path}") == status
        return wait_for(ok, timeout, f"{self.name} {path} -> {status}")


def http_status(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return None


def backend(services, replicas=1, env=None, test=None):
    """Start back-end replicas against services; wait until each is ready."""
    daemons = []
    for i in range(replicas):
        port = free_port()
        e = {"AMQP_URL": services.amqp_url_for("back"),
             "DATABASE_URL": services.database_url,
             "ADMIN_PORT": str(port), "AMQP_HEARTBEAT": "5"}
        e.update(env or {})
        d = Daemon("back-end", env=e, log_name=f"back-end-{i}", test=test)
        d.admin_port = port
        d.wait_http(port)
        daemons.append(d)
    return daemons


RPC_QUEUE = "request"  # lib/rpc.h RPC_QUEUE_DEFAULT, the textbook's


def declare_rpc_queue(ch):
    """Declare the RPC queue on a pika channel exactly as the daemons (and the
    book: queue_declare(queue='request')) do: classic, non-durable."""
    ch.queue_declare(RPC_QUEUE)


class RpcClient:
    """A Python RPC caller speaking docs/backend.md's RPC (pika, direct reply-to).

    role "front" (account actions; the RPC queue through the default exchange) or "chat" (chat actions; exchange parley.chat-rpc), connecting as that
    role's user when amqp_url is a harness broker's admin URL."""

    def __init__(self, amqp_url, role="front"):
        import pika
        params = pika.URLParameters(amqp_url_as(amqp_url, role))
        params.heartbeat = 30
        self.conn = pika.BlockingConnection(params)
        self.ch = self.conn.channel()
        if role == "chat":
            self.exchange, self.key = "parley.chat-rpc", "chat-request"
        else:
            self.exchange, self.key = "", RPC_QUEUE
            declare_rpc_queue(self.ch)
        self.replies = {}
        self.ch.basic_consume("amq.rabbitmq.reply-to", self._on_reply, auto_ack=True)

    def _on_reply(self, ch, method, props, body):
        self.replies[props.correlation_id] = body

    def send_raw(self, body, correlation_id=None, reply_to="amq.rabbitmq.reply-to"):
        import pika
        cid = correlation_id or uuid.uuid4().hex
        props = pika.BasicProperties(reply_to=reply_to, correlation_id=cid)
        self.ch.basic_publish(self.exchange, self.key, body, props)
        return cid

    def send(self, action, data):
        return self.send_raw(json.dumps({"action": action, "data": data}).encode())

    def wait(self, cids, timeout=20):
        """Replies for the correlation ids, parsed, in order."""
        deadline = time.monotonic() + timeout
        while any(c not in self.replies for c in cids):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = [c for c in cids if c not in self.replies]
                raise TimeoutError(f"{len(missing)} RPC replies missing")
            self.conn.process_data_events(time_limit=min(left, 0.5))
        return [json.loads(self.replies.pop(c)) for c in cids]

    def call(self, action, data, timeout=20):
        return self.wait([self.send(action, data)], timeout)[0]

    def call_raw(self, body, timeout=20):
        return self.wait([self.send_raw(body)], timeout)[0]

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass
