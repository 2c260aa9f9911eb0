#!/usr/bin/python3
"""End-to-end test of Parley's images and docker-compose.yml in a real Docker engine.

Usage:  tests/docker/e2e.py [REPO_ROOT]        (ctest runs it with label "docker")

What it does, each step bounded in time (total: PARLEY_E2E_TIMEOUT, default 2100 s):
  engine   tests/docker/engine.sh starts (or reuses) dockerd; no engine -> exit 77 (skip)
  images   debian:trixie-slim (tests/docker/base-image.sh: pull, or debootstrap + docker
           import, cached in /var/cache/parley-test), stand-ins for the official postgres
           and rabbitmq images (tests/docker/standins/build.sh), then `docker-compose build`
           with POSTGRES_IMAGE / RABBITMQ_IMAGE pointing at the stand-ins
  checks   image sizes and metadata; cold start `up -d` -> all healthy; guest/guest
           refused on the management port; the database unreachable from the front
           network; RPC through RabbitMQ; register + log in over HTTP; chat between two
           `docker run -i` clients on the compose network and one through the published
           port; the lab's `-p PORT:60876` exercise; `down` + `up` keeps the accounts;
           the back end killed under load is restarted and loses no request; fault drill:
           `docker-compose restart messaging` while users chat and log in, every daemon
           reconnects by itself (time to recovery printed); finally `down -v`.
Parts whose daemon is not in the source tree yet (front-end, chat) are reported as
skipped. Everything it starts is removed on exit (containers, networks, volumes, and the
engine when it started it and no other user holds a lease on it); images and the
debootstrap cache are kept so a second run is fast.

Compose: the run uses docker-compose (v1) when installed, else `docker compose`
(PARLEY_COMPOSE overrides, e.g. PARLEY_COMPOSE="docker compose"); then the same file is
brought up once more with Compose v2 (tests/docker/compose-v2.sh gets it from Debian's
package when only v1 is installed; PARLEY_E2E_V2=0 leaves that out).
PARLEY_E2E_KEEP=1 leaves the stack running for debugging.
A JSON summary (timings, sizes, results) goes to tests/artifacts/docker-e2e.json.
Exit status: 0 all checks passed, 1 a check failed, 77 no Docker engine here.
"""

import base64
import html
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..', '..'))
HERE = os.path.join(ROOT, 'tests', 'docker')
PROJECT = 'parleye2e'
RUN_ID = uuid.uuid4().hex[:8]
T0 = time.monotonic()
TOTAL_TIMEOUT = int(os.environ.get('PARLEY_E2E_TIMEOUT', '2100'))
DAEMONS = ('back-end', 'front-end', 'chat-server')
SIZE_LIMIT = {'chat-client': 10_000_000, 'back-end': 30_000_000,
              'front-end': 30_000_000, 'chat-server': 30_000_000}
SRC_DIR = {'back-end': 'back-end', 'front-end': 'front-end',
           'chat-server': 'chat/server', 'chat-client': 'chat/client'}
PASSWORD = 'correct-horse-battery-staple'

results = []          # (name, 'passed'|'failed'|'skipped', detail)
metrics = {}          # numbers for the summary
cleanups = []         # callables run at exit, last first


def log(msg):
    print('[%7.1fs] %s' % (time.monotonic() - T0, msg), flush=True)


class Fail(Exception):
    pass


class Skip(Exception):
    pass


class Timeout(BaseException):
    pass


class Fatal(BaseException):
    """Raised inside until() to stop waiting at once."""


def run(cmd, timeout=120, check=True, env=None, input=None, cwd=ROOT):
    """Run a command, capture its output; Fail on a non-zero exit when check."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, input=input, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail('timed out after %ss: %s' % (timeout, shlex.join(cmd)))
    if check and p.returncode != 0:
        tail = (p.stdout + p.stderr).strip().splitlines()[-15:]
        raise Fail('%s exited %d:\n    %s' % (shlex.join(cmd), p.returncode,
                                               '\n    '.join(tail)))
    return p


def step(name, fn, *args):
    """Run one check; record passed / failed / skipped. Returns fn's value or None."""
    start = time.monotonic()
    log('--- %s' % name)
    try:
        value = fn(*args)
    except Skip as e:
        results.append((name, 'skipped', str(e)))
        log('SKIP %s: %s' % (name, e))
        return None
    except Timeout:
        raise
    except Exception as e:  # noqa: BLE001 - a failed check must not stop the others
        results.append((name, 'failed', str(e)))
        log('FAIL %s (%.1fs): %s' % (name, time.monotonic() - start, e))
        return None
    results.append((name, 'passed', ''))
    log('PASS %s (%.1fs)' % (name, time.monotonic() - start))
    return value if value is not None else True


def until(what, fn, timeout, interval=0.5):
    """Call fn until it returns a true value; Fail after timeout seconds."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = fn()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        if time.monotonic() > end:
            raise Fail('%s: not within %ss%s' % (what, timeout,
                                                   ' (last error: %s)' % last if last else ''))
        time.sleep(interval)


_taken = set()


def free_port():
    """A free port below the kernel's ephemeral range (32768+), so that no outgoing
    connection of another program takes it before Docker binds it."""
    import random
    while True:
        port = random.randrange(20000, 32000)
        if port in _taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(('0.0.0.0', port))
            except OSError:
                continue
        _taken.add(port)
        return port


def have(target):
    path = os.path.join(ROOT, SRC_DIR[target], 'CMakeLists.txt')
    try:
        text = open(path).read()
    except OSError:
        return False
    return re.search(r'add_executable\(\s*%s[\s)]' % re.escape(target), text) is not None


def read_env_file():
    env = {}
    with open(os.path.join(ROOT, '.env')) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#') and '=' in line:
                k, v = line.split('=', 1)
                env[k] = v
    return env


# ---------------------------------------------------------------- compose plumbing

DOTENV = read_env_file()
PORTS = {'HTTP_PORT': free_port(), 'CHAT_PORT': free_port(), 'CHAT_WS_PORT': free_port(),
         'RABBITMQ_UI_PORT': free_port(), 'ADMINER_PORT': free_port()}
LAB_PORT = free_port()
ENV = dict(os.environ)
ENV.update({
    'COMPOSE_PROJECT_NAME': PROJECT,
    'POSTGRES_IMAGE': os.environ.get('POSTGRES_STANDIN', 'parley-test/postgres:local'),
    'RABBITMQ_IMAGE': os.environ.get('RABBITMQ_STANDIN', 'parley-test/rabbitmq:local'),
    # Every test client reaches the daemons from one or two addresses: lift the limits.
    'HTTP_MAX_CONN_PER_IP': '0', 'CHAT_MAX_CONN_PER_IP': '0', 'CHAT_FLOOD_RATE': '0',
    'REGISTER_IP_MAX_ATTEMPTS': '0', 'REGISTER_MAX_ATTEMPTS': '0',
    'COMPOSE_HTTP_TIMEOUT': '300',
})
ENV.update({k: str(v) for k, v in PORTS.items()})
# The page's WebSocket on the remapped port (the CSP names it); the origin stays .env's.
ENV['CHAT_WS_URL'] = 'ws://localhost:%d/ws' % PORTS['CHAT_WS_PORT']
WS_ORIGIN = ENV.get('CHAT_WS_ORIGINS', DOTENV['CHAT_WS_ORIGINS']).split(',')[0].strip()
# Chromium's page is on the remapped HTTP port: its Origin is admitted too.
ENV['CHAT_WS_ORIGINS'] = '%s, http://localhost:%d' % (WS_ORIGIN, PORTS['HTTP_PORT'])
for k in ('RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_PASS', 'POSTGRES_USER',
          'POSTGRES_PASSWORD', 'POSTGRES_DB', 'BACKEND_DB_USER', 'BACKEND_DB_PASSWORD',
          'PARLEY_MQ_FRONT_PASS', 'PARLEY_MQ_BACK_PASS', 'PARLEY_MQ_CHAT_PASS'):
    ENV.setdefault(k, DOTENV[k])
MQ_USER, MQ_PASS = ENV['RABBITMQ_DEFAULT_USER'], ENV['RABBITMQ_DEFAULT_PASS']
# Chat servers started here with `docker run` connect as the chat servers' user.
AMQP_URL = 'amqp://parley-chat:%s@messaging:5672' % ENV['PARLEY_MQ_CHAT_PASS']
FRONT_NET, BACK_NET = PROJECT + '_front', PROJECT + '_back'
CHAT_NET = PROJECT + '_chat'    # chat clients: the chat server only, no RabbitMQ

if os.environ.get('PARLEY_COMPOSE'):
    COMPOSE = shlex.split(os.environ['PARLEY_COMPOSE'])
elif shutil.which('docker-compose'):
    COMPOSE = ['docker-compose']
else:
    COMPOSE = ['docker', 'compose']


def compose(*args, timeout=300, check=True):
    return run(COMPOSE + list(args), timeout=timeout, check=check, env=ENV)


def containers(project=PROJECT):
    """{service: container id} of this project's containers (running or not)."""
    p = run(['docker', 'ps', '-a', '--filter', 'label=com.docker.compose.project=' + project,
             '--format', '{{.ID}} {{.Label "com.docker.compose.service"}}'])
    out = {}
    for line in p.stdout.split('\n'):
        if line.strip():
            cid, service = line.split(None, 1)
            out[service] = cid
    return out


def inspect(cid, fmt):
    return run(['docker', 'inspect', '-f', fmt, cid], timeout=30).stdout.strip()


def states(services, project=PROJECT):
    ids = containers(project)
    out = {}
    for s in services:
        if s not in ids:
            out[s] = 'missing'
            continue
        out[s] = inspect(ids[s], '{{if .State.Health}}{{.State.Health.Status}}'
                                 '{{else}}{{.State.Status}}{{end}}')
    return out


def wait_healthy(services, timeout, project=PROJECT):
    last = {}
    start = time.monotonic()

    def ok():
        last.update(states(services, project))
        bad = [s for s, v in last.items() if v == 'unhealthy']
        if bad:            # past its start period and failing: no point in waiting
            raise Fatal('unhealthy: %s' % ', '.join(bad))
        return all(v == 'healthy' for v in last.values())
    try:
        until('healthy', ok, timeout, interval=0.5)
    except (Fail, Fatal):
        raise Fail('not all healthy after %.0fs: %s' % (time.monotonic() - start, last))


def daemon_ready(service):
    """The daemon's own --healthcheck, run inside its container right now."""
    cid = containers().get(service)
    if not cid:
        return False
    p = run(['docker', 'exec', cid, '/usr/local/bin/' + service, '--healthcheck'],
            timeout=15, check=False)
    return p.returncode == 0


# ---------------------------------------------------------------- RabbitMQ HTTP API

def mq_api(method, path, body=None, user=None, password=None, timeout=10):
    conn = http.client.HTTPConnection('127.0.0.1', PORTS['RABBITMQ_UI_PORT'], timeout=timeout)
    auth = base64.b64encode(('%s:%s' % (user or MQ_USER, password or MQ_PASS)).encode()).decode()
    headers = {'Authorization': 'Basic ' + auth, 'Content-Type': 'application/json'}
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, None


class RpcProbe:
    """Sends RPC requests to the `request` queue through the management API and reads
    the replies from a queue of its own (exercises back end + RabbitMQ + PostgreSQL
    without the front end)."""

    def __init__(self):
        self.queue = 'e2e-replies-' + RUN_ID
        st, _ = mq_api('PUT', '/api/queues/%2F/' + self.queue,
                       {'durable': False, 'auto_delete': False})
        if st not in (201, 204):
            raise Fail('cannot declare reply queue: HTTP %s' % st)
        self.replies = {}

    def send(self, action, data, corr=None, exchange='amq.default', key='request'):
        corr = corr or uuid.uuid4().hex
        body = {'properties': {'reply_to': self.queue, 'correlation_id': corr,
                               'content_type': 'application/json', 'delivery_mode': 2},
                'routing_key': key, 'payload_encoding': 'string',
                'payload': json.dumps({'action': action, 'data': data})}
        st, res = mq_api('POST', '/api/exchanges/%2F/' + exchange + '/publish', body)
        if st != 200 or not (res or {}).get('routed'):
            raise Fail('publish to request not routed (HTTP %s %s)' % (st, res))
        return corr

    def collect(self):
        st, msgs = mq_api('POST', '/api/queues/%2F/' + self.queue + '/get',
                          {'count': 500, 'ackmode': 'ack_requeue_false',
                           'encoding': 'auto'})
        if st != 200:
            raise Fail('get from reply queue: HTTP %s' % st)
        for m in msgs or []:
            corr = m.get('properties', {}).get('correlation_id')
            try:
                payload = json.loads(m['payload'])
            except ValueError:
                payload = {'success': None, 'raw': m['payload']}
            self.replies.setdefault(corr, []).append(payload)

    def call(self, action, data, timeout=20, **where):
        corr = self.send(action, data, **where)

        def got():
            self.collect()
            return self.replies.get(corr)
        return until('reply to ' + action, got, timeout)[0]

    def close(self):
        try:
            mq_api('DELETE', '/api/queues/%2F/' + self.queue)
        except OSError:
            pass


def fake_hash():
    salt = base64.b64encode(os.urandom(16)).decode().rstrip('=')
    digest = base64.b64encode(os.urandom(32)).decode().rstrip('=')
    return '$argon2id$v=19$m=65536,t=2,p=1$%s$%s' % (salt, digest)


# ---------------------------------------------------------------- HTTP front end

class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, path, form=None, timeout=20):
        conn = http.client.HTTPConnection('127.0.0.1', PORTS['HTTP_PORT'], timeout=timeout)
        headers = {}
        if self.cookies:
            headers['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read().decode('utf-8', 'replace')
        for k, v in r.getheaders():
            if k.lower() == 'set-cookie':
                name, _, value = v.split(';', 1)[0].partition('=')
                low = v.lower()
                if value == '' or 'max-age=0' in low or '1970' in low:
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def csrf(self, path):
        st, _, body = self.request('GET', path)
        if st != 200:
            raise Fail('GET %s -> %s' % (path, st))
        m = (re.search(r'name="csrf_token"[^>]*value="([^"]*)"', body) or
             re.search(r'value="([^"]*)"[^>]*name="csrf_token"', body))
        if not m:
            raise Fail('no csrf_token in GET %s' % path)
        return html.unescape(m.group(1))

    def post_form(self, path, email, password):
        token = self.csrf(path)
        st, hdrs, _ = self.request('POST', path, {'email': email, 'password': password,
                                                  'csrf_token': token})
        return st, hdrs

    def register(self, email, password=PASSWORD):
        return self.post_form('/register', email, password)[0]

    def login(self, email, password=PASSWORD):
        return self.post_form('/login', email, password)[0]

    def secret(self):
        st, _, body = self.request('GET', '/secret')
        return st, body


def http_account_roundtrip(email):
    b = Browser()
    st = b.register(email)
    if st != 303:
        raise Fail('POST /register %s -> %s, want 303' % (email, st))
    b = Browser()
    st = b.login(email)
    if st != 303:
        raise Fail('POST /login %s -> %s, want 303' % (email, st))
    st, body = b.secret()
    if st != 200 or html.escape(email) not in body and email not in body:
        raise Fail('GET /secret after login -> %s (email %s named: %s)' %
                   (st, email, email in body))


# ---------------------------------------------------------------- chat clients

class ChatClient:
    """`docker run -i --rm parley/chat-client ...` in pipe mode: first line is the name,
    every further line is sent, every received message is one line on stdout."""

    def __init__(self, name, host, port, network=None, extra=()):
        self.name = name
        self.container = '%s-%s-%s' % (PROJECT, name, RUN_ID)
        cmd = ['docker', 'run', '-i', '--rm', '--name', self.container]
        if network:
            cmd += ['--network', network]
        cmd += list(extra) + ['parley/chat-client', host, str(port)]
        self.lines = []
        self.err = []
        self.cv = threading.Condition()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        cleanups.append(self.close)
        threading.Thread(target=self._read, args=(self.p.stdout, self.lines),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.p.stderr, self.err),
                         daemon=True).start()
        self.send(name)

    def _read(self, stream, sink):
        for line in stream:
            with self.cv:
                sink.append(line.rstrip('\n'))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def send(self, line):
        try:
            self.p.stdin.write(line + '\n')
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def alive(self):
        return self.p.poll() is None

    def wait_for(self, text, timeout, start=0):
        """Index of the first line at or after start containing text."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    if text in self.lines[i]:
                        return i
                left = end - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and
                                 len(self.lines) <= start):
                    raise Fail('%s did not receive %r within %ss (got %s; stderr %s)' %
                               (self.name, text, timeout, self.lines[-5:], self.err[-3:]))
                self.cv.wait(min(left, 0.5))

    def close(self):
        if self.p.poll() is None:
            self.send('#quit')
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
        subprocess.run(['docker', 'rm', '-f', self.container], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)


def chat_pair_delivers(sender, receivers, text, timeout=20):
    """sender says text; every receiver must print 'sender: text'."""
    marks = [len(r.lines) for r in receivers]
    sender.send(text)
    for r, mark in zip(receivers, marks):
        r.wait_for('%s: %s' % (sender.name, text), timeout, mark)


# ---------------------------------------------------------------- the steps

def prepare_engine():
    p = run([os.path.join(HERE, 'engine.sh'), 'start', str(os.getpid())],
            timeout=1200, check=False)
    if p.returncode == 77:
        print((p.stdout + p.stderr).strip())
        print('SKIP: no Docker engine can be started here')
        sys.exit(77)
    if p.returncode != 0:
        raise Fail('engine.sh: ' + (p.stdout + p.stderr).strip())
    log(p.stdout.strip())
    cleanups.insert(0, lambda: log(run([os.path.join(HERE, 'engine.sh'), 'release',
                                        str(os.getpid())], timeout=120,
                                       check=False).stdout.strip() or 'engine: kept'))
    start = time.monotonic()
    p = run([os.path.join(HERE, 'standins', 'build.sh')], timeout=1800, check=False)
    for line in (p.stdout + p.stderr).strip().splitlines():
        log(line)
    if p.returncode == 77:
        print('SKIP: no base image can be made here')
        sys.exit(77)
    if p.returncode != 0:
        raise Fail('stand-in images did not build')
    metrics['standins_s'] = round(time.monotonic() - start, 1)


def build_images(targets):
    start = time.monotonic()
    p = compose('build', '--force-rm', *targets, timeout=1800, check=False)
    out = p.stdout + p.stderr
    if p.returncode != 0 and not re.search(r'Temporary failure resolving|Could not resolve|'
                                           r'Failed to fetch|Unable to connect|'
                                           r'Unable to locate package', out):
        raise Fail('docker-compose build failed:\n    ' +
                   '\n    '.join(out.strip().splitlines()[-25:]))
    if p.returncode != 0:
        log('docker-compose build failed; retrying each image with `docker build '
            '--network host` (the build network cannot reach the Debian mirror?)')
        log('\n'.join((p.stdout + p.stderr).strip().splitlines()[-10:]))
        for t in targets:
            run(['docker', 'build', '--force-rm', '--network', 'host', '-f', 'Dockerfile.' + t,
                 '-t', 'parley/' + t, '.'], timeout=1800)
    metrics['build_s'] = round(time.monotonic() - start, 1)
    log('images built in %.1fs' % metrics['build_s'])


def check_images(targets):
    sizes = {}
    problems = []
    for t in targets:
        image = 'parley/' + t
        cfg = json.loads(run(['docker', 'image', 'inspect', image]).stdout)[0]
        size = cfg['Size']
        sizes[t] = size
        c = cfg['Config']
        if size > SIZE_LIMIT[t]:
            problems.append('%s is %.1f MB > %.0f MB' % (image, size / 1e6, SIZE_LIMIT[t] / 1e6))
        if c.get('User') != '10001:10001':
            problems.append('%s USER is %r' % (image, c.get('User')))
        if c.get('Entrypoint') != ['/usr/local/bin/' + t]:
            problems.append('%s ENTRYPOINT is %r' % (image, c.get('Entrypoint')))
        if t in DAEMONS:
            hc = (c.get('Healthcheck') or {}).get('Test')
            if hc != ['CMD', '/usr/local/bin/' + t, '--healthcheck']:
                problems.append('%s HEALTHCHECK is %r' % (image, hc))
        if 'org.opencontainers.image.title' not in (c.get('Labels') or {}):
            problems.append('%s has no OCI labels' % image)
        for e in c.get('Env') or []:
            if re.search(r'PASS|SECRET|COOKIE|DATABASE_URL|AMQP_URL', e.split('=')[0]):
                problems.append('%s bakes in %s' % (image, e.split('=')[0]))
        if run(['docker', 'run', '--rm', '--entrypoint', '/bin/sh', image, '-c', 'true'],
               timeout=60, check=False).returncode == 0:
            problems.append('%s contains a shell' % image)
        p = run(['docker', 'run', '--rm', image, '--version'], timeout=60, check=False)
        if p.returncode != 0:
            problems.append('%s --version exited %d' % (image, p.returncode))
    metrics['image_sizes_mb'] = {t: round(s / 1e6, 1) for t, s in sizes.items()}
    for t, s in sizes.items():
        log('image parley/%-12s %6.1f MB (limit %d MB)' % (t, s / 1e6, SIZE_LIMIT[t] / 1e6))
    if problems:
        raise Fail('; '.join(problems))


def cold_start(services, waitfor):
    start = time.monotonic()
    compose('up', '-d', *services, timeout=600)
    wait_healthy(waitfor, 300)
    metrics['cold_start_s'] = round(time.monotonic() - start, 1)
    log('cold start: `up -d` -> %s healthy in %.1fs' % (', '.join(waitfor),
                                                        metrics['cold_start_s']))


def check_chat_client_service():
    ids = containers()
    if 'chat-client' not in ids:
        raise Fail('chat-client service did not run')
    until('chat-client --version exited',
          lambda: inspect(ids['chat-client'], '{{.State.Status}}') == 'exited', 30)
    code = inspect(ids['chat-client'], '{{.State.ExitCode}}')
    if code != '0':
        raise Fail('chat-client --version exited %s' % code)


def check_guest_refused():
    st, _ = mq_api('GET', '/api/overview', user='guest', password='guest')
    if st != 401:
        raise Fail('guest/guest on the management port got HTTP %s, want 401' % st)
    st, users = mq_api('GET', '/api/users')
    if st != 200:
        raise Fail('configured RabbitMQ user got HTTP %s on /api/users' % st)
    names = [u['name'] for u in users]
    if 'guest' in names:
        raise Fail('a guest account exists: %s' % names)
    log('management port: guest/guest -> 401, %s -> 200, users %s' % (MQ_USER, names))


def check_broker_users(state):
    """SPEC §3.5: a RabbitMQ user per daemon type with the permissions of
    scripts/rabbitmq-users.sh, each daemon connected as its own, and the back end in the
    image refusing an account action that comes through the chat servers' exchange."""
    want = {}
    for line in run(['sh', os.path.join(ROOT, 'scripts', 'rabbitmq-users.sh'),
                     '--print']).stdout.splitlines():
        user, conf, write, read = line.split('\t')
        want[user] = {'configure': conf, 'write': write, 'read': read}
    st, perms = mq_api('GET', '/api/permissions')
    if st != 200:
        raise Fail('GET /api/permissions: HTTP %s' % st)
    got = {p['user']: {k: p[k] for k in ('configure', 'write', 'read')}
           for p in perms if p['vhost'] == '/' and p['user'] in want}
    if got != want:
        raise Fail('permissions %s, want %s' % (got, want))
    roles = {'back-end': 'parley-back', 'front-end': 'parley-front',
             'chat-server': 'parley-chat'}
    ids = containers()
    for service, user in roles.items():
        if service not in ids:
            continue
        env = inspect(ids[service], '{{json .Config.Env}}')
        url = [e for e in json.loads(env) if e.startswith('AMQP_URL=')]
        if not url or urllib.parse.urlsplit(url[0][9:]).username != user:
            raise Fail('%s does not connect as %s' % (service, user))
    if 'rpc' in state:
        r = state['rpc'].call('GETHASH', {'email': state['rpc_account'][0]},
                              exchange='parley.chat-rpc', key='chat-request')
        if r != {'success': False, 'message': 'not authorised'}:
            raise Fail('GETHASH through parley.chat-rpc -> %s' % r)
    log('RabbitMQ users %s with their own permissions; daemons connect as their own; '
        'GETHASH through parley.chat-rpc refused' % ', '.join(sorted(want)))


def check_db_isolation():
    ids = containers()
    db_ip = inspect(ids['db'], '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % BACK_NET)
    probe = ('if getent hosts db >/dev/null; then echo resolves; exit 10; fi; '
             'if timeout 3 bash -c "</dev/tcp/%s/5432"; then echo connects; exit 11; fi; '
             'exit 0' % db_ip)
    p = run(['docker', 'run', '--rm', '--network', FRONT_NET, 'debian:trixie-slim',
             'bash', '-c', probe], timeout=60, check=False)
    if p.returncode != 0:
        raise Fail('from %s the database %s (%s)' % (FRONT_NET, p.stdout.strip(), db_ip))
    # The same probe on the back network must connect, or the check above proves nothing.
    p = run(['docker', 'run', '--rm', '--network', BACK_NET, 'debian:trixie-slim',
             'bash', '-c', 'timeout 3 bash -c "</dev/tcp/db/5432"'], timeout=60, check=False)
    if p.returncode != 0:
        raise Fail('control probe on %s could not reach db:5432' % BACK_NET)
    if inspect(ids['db'], '{{json .NetworkSettings.Ports}}') not in ('{}', 'null'):
        if run(['docker', 'port', ids['db']], check=False).stdout.strip():
            raise Fail('db publishes ports on the host')
    log('db %s: unreachable from %s (name and address), reachable from %s' %
        (db_ip, FRONT_NET, BACK_NET))


def check_chat_net_isolation():
    """Chat clients' network: the chat server answers, RabbitMQ is out of reach."""
    ids = containers()
    mq_ip = inspect(ids['messaging'],
                    '{{(index .NetworkSettings.Networks "%s").IPAddress}}' % FRONT_NET)
    probe = ('if getent hosts messaging >/dev/null; then echo resolves; exit 10; fi; '
             'if timeout 3 bash -c "</dev/tcp/%s/5672"; then echo connects; exit 11; fi; '
             'timeout 3 bash -c "</dev/tcp/chat-server/60876" || { echo no chat; exit 12; }'
             % mq_ip)
    p = run(['docker', 'run', '--rm', '--network', CHAT_NET, 'debian:trixie-slim',
             'bash', '-c', probe], timeout=60, check=False)
    if p.returncode != 0:
        raise Fail('from %s: RabbitMQ %s (%s) or chat-server unreachable' %
                   (CHAT_NET, p.stdout.strip(), mq_ip))
    log('%s: chat-server:60876 reachable, messaging (%s) neither resolves nor connects'
        % (CHAT_NET, mq_ip))


def check_backend_db_role():
    """The back end is connected as BACKEND_DB_USER, which has row privileges only."""
    ids = containers()
    role = ENV['BACKEND_DB_USER']
    sql = ("SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "
           "WHERE application_name = 'parley-back-end'; "
           "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = '%s'; "
           "SELECT has_schema_privilege('%s', 'public', 'CREATE'); "
           "SELECT has_table_privilege('%s', 'users', 'INSERT'), "
           "has_table_privilege('%s', 'users', 'TRUNCATE')" % (role, role, role, role))
    p = run(['docker', 'exec', ids['db'], 'psql', '-X', '-tA', '-U', ENV['POSTGRES_USER'],
             '-d', ENV['POSTGRES_DB'], '-c', sql], timeout=30)
    got = p.stdout.split()
    if got != [role, 'f', 'f', 't|f']:
        raise Fail('back end\'s database role: %s (want connected as %s, not superuser, '
                   'no CREATE, INSERT but no TRUNCATE)' % (got, role))
    log('back end connected as %s: no superuser, no CREATE, rows only' % role)


def check_rpc(state):
    rpc = RpcProbe()
    cleanups.append(rpc.close)
    state['rpc'] = rpc
    email = 'rpc-%s@e2e.test' % RUN_ID
    h = fake_hash()
    r = rpc.call('REGISTER', {'email': email, 'hash': h})
    if r.get('success') is not True:
        raise Fail('REGISTER -> %s' % r)
    r = rpc.call('REGISTER', {'email': email, 'hash': fake_hash()})
    if r.get('success') is not False:
        raise Fail('second REGISTER of the same email -> %s' % r)
    r = rpc.call('GETHASH', {'email': email})
    if r.get('success') is not True or r.get('hash') != h:
        raise Fail('GETHASH -> %s' % r)
    state['rpc_account'] = (email, h)


def check_http(state):
    email = 'web-%s@e2e.test' % RUN_ID
    http_account_roundtrip(email)
    b = Browser()
    st = b.login(email, 'not-the-password-1234')
    if st != 401:
        raise Fail('login with a wrong password -> %s, want 401' % st)
    b = Browser()
    st, _, _ = b.request('GET', '/secret')
    if st != 303:
        raise Fail('GET /secret without a session -> %s, want 303' % st)
    state['web_account'] = email


def check_chat(state):
    host_gw = ['--add-host', 'host.docker.internal:host-gateway']
    alice = ChatClient('alice', 'chat-server', 60876, network=CHAT_NET)
    bob = ChatClient('bob', 'chat-server', 60876, network=CHAT_NET)
    # carol is on Docker's default bridge: she reaches the chat only via the host port.
    carol = ChatClient('carol', 'host.docker.internal', PORTS['CHAT_PORT'], extra=host_gw)
    for c in (alice, bob, carol):
        c.wait_for('Welcome %s' % c.name, 30)
    chat_pair_delivers(alice, [bob, carol], 'hello from alice %s' % RUN_ID)
    chat_pair_delivers(carol, [alice, bob], 'hi from carol via the published port')
    chat_pair_delivers(bob, [alice, carol], 'bob here')
    state['chat'] = (alice, bob)


def check_browser_chat(state):
    """The browser's way in, without a browser: an account picks a chat name
    (POST /chat/name), the page's ticket (POST /chat/ticket with the CSRF token), a
    WebSocket HELLO with it on the published CHAT_WS_PORT; the guests see its lines."""
    import asyncio
    import websockets
    b = Browser()
    if b.register('web-%s@example.com' % RUN_ID) != 303:
        raise Fail('register for the browser chat failed')
    name = 'web%s' % RUN_ID[:8]
    st, _, body = b.request('POST', '/chat/name', {'name': name,
                                                   'csrf_token': b.csrf('/chat')})
    if st != 303:
        raise Fail('POST /chat/name -> %s' % st)
    st, hdrs, body = b.request('GET', '/chat')
    want = "connect-src 'self' %s;" % ENV['CHAT_WS_URL'].rsplit('/', 1)[0]
    if st != 200 or 'role="log"' not in body or want not in hdrs.get(
            'content-security-policy', ''):
        raise Fail('GET /chat -> %s, CSP %r' % (st, hdrs.get('content-security-policy')))
    st, hdrs, body = b.request('POST', '/chat/ticket', {'csrf_token': b.csrf('/chat')})
    if st != 200 or hdrs.get('cache-control') != 'no-store':
        raise Fail('POST /chat/ticket -> %s %s' % (st, body[:200]))
    ticket = json.loads(body)['ticket']
    alice, _ = state['chat']

    async def talk():
        async with websockets.connect('ws://127.0.0.1:%d/ws' % PORTS['CHAT_WS_PORT'],
                                      origin=WS_ORIGIN, open_timeout=20) as ws:
            await ws.send(json.dumps({'type': 'HELLO', 'ticket': ticket,
                                      'features': ['meta']}))
            got = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if got.get('type') != 'WELCOME' or name not in got.get('content', ''):
                raise Fail('WebSocket HELLO with the ticket -> %r' % got)
            mark = len(alice.lines)
            await ws.send(json.dumps({'type': 'CHAT', 'content': 'hi from a browser'}))
            alice.wait_for('%s: hi from a browser' % name, 20, mark)
            alice.send('hi back, web')
            while (json.loads(await asyncio.wait_for(ws.recv(), 20)).get('content') !=
                   'alice: hi back, web'):
                pass
    asyncio.run(talk())


def check_chromium_chat():
    """Issue 13's "Done when" on compose: in Chromium a person registers, opens /chat,
    picks a name and chats with a lab-protocol client (tests/chat/server/lab_client.py)
    and a telnet-style plain-text user, both on the published chat port
    (tests/docker/compose_chat.mjs; screenshot in tests/artifacts/docker-e2e/)."""
    mods = os.path.join(ROOT, 'tests', 'frontend')
    if not shutil.which('node') or not os.path.exists('/usr/bin/chromium'):
        raise Skip('node or /usr/bin/chromium missing (tests/install-deps.sh installs them)')
    if not os.path.isdir(os.path.join(mods, 'node_modules', 'playwright-core')):
        run(['npm', 'ci', '--no-audit', '--no-fund'], cwd=mods, timeout=300)
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'chat', 'server'))
    from lab_client import LabClient
    tag = uuid.uuid4().hex[:6]
    who = {'NAME': 'chromium' + tag, 'LAB': 'lab' + tag, 'TELNET': 'tel' + tag,
           'LINE': 'hello from Chromium on compose'}
    said = '%s: %s' % (who['NAME'], who['LINE'])
    lab = LabClient('127.0.0.1', PORTS['CHAT_PORT'], timeout=20)
    cleanups.append(lab.close)
    lab.login(who['LAB'])
    tel = socket.create_connection(('127.0.0.1', PORTS['CHAT_PORT']), timeout=20)
    cleanups.append(tel.close)
    tel.sendall(who['TELNET'].encode() + b'\r\n')
    text = {'buf': b''}

    def tel_has(want):      # a complete line of the telnet session equal to want
        tel.settimeout(2)
        try:
            text['buf'] += tel.recv(65536)
        except socket.timeout:
            pass
        lines = text['buf'].split(b'\n')
        text['buf'] = lines.pop()
        return any(x.decode('utf-8', 'replace').rstrip('\r') == want for x in lines)
    until('telnet welcome', lambda: tel_has('Welcome %s! You can now start to chat!' %
                                            who['TELNET']), 20, 0)
    shots = os.path.join(ROOT, 'tests', 'artifacts', 'docker-e2e')
    node = subprocess.Popen(['node', os.path.join(HERE, 'compose_chat.mjs')], text=True,
                            env=dict(os.environ, BASE_URL='http://localhost:%d' %
                                     PORTS['HTTP_PORT'], ARTIFACTS=shots, **who),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def lab_has(want):
        if node.poll() is not None:
            raise Fatal('compose_chat.mjs exited %s' % node.returncode)
        try:
            return lab.recv_until(lambda m: m.get('content') == want, 2)
        except TimeoutError:
            return False
    try:
        try:
            until('the lab client sees %r' % said, lambda: lab_has(said), 90, 0)
        except Fatal:
            pass    # the browser's output below says why
        else:
            until('the telnet user sees %r' % said, lambda: tel_has(said), 20, 0)
            lab.chat('hi %s, from the lab' % who['NAME'])
            tel.sendall(b'telnet says hi\r\n')
        out = node.communicate(timeout=90)[0]
    finally:
        if node.poll() is None:
            node.kill()
            out = node.communicate()[0]
        lab.close()
        tel.close()
    log(out.rstrip())
    if node.returncode != 0:
        raise Fail('compose_chat.mjs exited %s' % node.returncode)


def check_lab_exercise(state):
    """The lab's exercise: a chat server started with `-p 7070:60876` (here a free port)
    and a client on another network connecting to the host's port; the second server
    joins the compose chat through RabbitMQ, so alice (on the compose server) sees him."""
    name = '%s-lab-%s' % (PROJECT, RUN_ID)

    def remove():
        subprocess.run(['docker', 'rm', '-f', name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    cleanups.append(remove)
    try:
        lab_chat(state, name)
    finally:
        remove()        # it is on the compose network: `down` would fail with it there


def lab_chat(state, name):
    run(['docker', 'run', '-d', '--name', name, '--network', FRONT_NET,
         '-p', '%d:60876' % LAB_PORT, '-e', 'AMQP_URL=' + AMQP_URL,
         '-e', 'CHAT_MAX_CONN_PER_IP=0', 'parley/chat-server'], timeout=60)
    until('lab chat-server ready', lambda: run(
        ['docker', 'exec', name, '/usr/local/bin/chat-server', '--healthcheck'],
        timeout=15, check=False).returncode == 0, 60)
    dave = ChatClient('dave', 'host.docker.internal', LAB_PORT,
                      extra=['--add-host', 'host.docker.internal:host-gateway'])
    dave.wait_for('Welcome dave', 30)
    alice, bob = state['chat']
    chat_pair_delivers(dave, [alice, bob], 'dave on the -p %d:60876 server' % LAB_PORT)
    chat_pair_delivers(alice, [dave], 'alice answers dave')
    dave.close()


def check_persistence(state, up_services, waitfor):
    for c in state.get('chat', ()):
        c.close()
    state.pop('chat', None)
    compose('down', timeout=300)
    vols = run(['docker', 'volume', 'ls', '-q', '--filter', 'name=' + PROJECT]).stdout.split()
    if PROJECT + '_dbdata' not in vols:
        raise Fail('volume %s_dbdata gone after down: %s' % (PROJECT, vols))
    compose('up', '-d', *up_services, timeout=600)
    wait_healthy(waitfor, 300)
    if 'rpc_account' in state:
        rpc = state['rpc']
        rpc.__init__()          # the reply queue went with the old RabbitMQ container
        email, h = state['rpc_account']
        r = rpc.call('GETHASH', {'email': email})
        if r.get('success') is not True or r.get('hash') != h:
            raise Fail('account %s after down+up: GETHASH -> %s' % (email, r))
    if 'web_account' in state:
        b = Browser()
        st = b.login(state['web_account'])
        if st != 303:
            raise Fail('log-in of %s after down+up -> %s' % (state['web_account'], st))


def kill_backend():
    cid = containers()['back-end']
    before = int(inspect(cid, '{{.RestartCount}}'))
    pid = int(inspect(cid, '{{.State.Pid}}'))
    # A crash, not `docker kill`: Docker does not restart a container stopped by hand.
    os.kill(pid, signal.SIGKILL)
    return cid, before, time.monotonic()


def wait_backend_back(cid, before, killed_at):
    until('back-end restarted', lambda: int(inspect(cid, '{{.RestartCount}}')) > before
          and inspect(cid, '{{.State.Running}}') == 'true', 60, interval=0.2)
    until('back-end ready again', lambda: daemon_ready('back-end'), 60, interval=0.2)
    return time.monotonic() - killed_at


def db_count(pattern):
    ids = containers()
    p = run(['docker', 'exec', ids['db'], 'psql', '-U', ENV['POSTGRES_USER'], '-d',
             ENV['POSTGRES_DB'], '-tAc',
             "SELECT count(*) FROM users WHERE email LIKE '%s'" % pattern], timeout=30)
    return int(p.stdout.strip())


def check_kill_rpc_under_load(state):
    rpc = state['rpc']
    n = 150
    emails = ['load-%s-%03d@e2e.test' % (RUN_ID, i) for i in range(n)]
    corr = {}
    cid = before = killed_at = None
    for i, email in enumerate(emails):
        corr[rpc.send('REGISTER', {'email': email, 'hash': fake_hash()})] = email
        if i == n // 3:
            cid, before, killed_at = kill_backend()
            log('killed back-end (pid 1 of %s) after %d of %d requests' % (cid[:12], i + 1, n))
        time.sleep(0.02)
    down = wait_backend_back(cid, before, killed_at)
    log('back-end restarted by Docker and ready %.1fs after the kill' % down)
    metrics['backend_restart_s'] = round(down, 1)

    def all_answered():
        rpc.collect()
        return all(c in rpc.replies for c in corr)
    until('replies to all %d requests' % n, all_answered, 60)
    first_fail = [corr[c] for c in corr if rpc.replies[c][0].get('success') is not True]
    stored = db_count('load-%s-%%' % RUN_ID)
    log('RPC under load: %d requests, %d answered, %d accounts stored, %d first replies '
        'not success (redelivered after the crash)' %
        (n, sum(c in rpc.replies for c in corr), stored, len(first_fail)))
    if stored != n:
        raise Fail('%d of %d accounts stored' % (stored, n))
    if first_fail:
        raise Fail('requests answered with failure after the crash: %s' % first_fail[:5])


def check_kill_http_under_load(state):
    results_http = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(w):
        i = 0
        while not stop.is_set():
            email = 'httpload-%s-%d-%d@e2e.test' % (RUN_ID, w, i)
            i += 1
            for what, fn in (('register', lambda: Browser().register(email)),
                             ('login', lambda: Browser().login(email))):
                t = time.monotonic()
                try:
                    st = fn()
                except Exception as e:  # noqa: BLE001 - recorded as a lost request
                    st = repr(e)
                with lock:
                    results_http.append((what, email, st, t))
    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    cid, before, killed_at = kill_backend()
    log('killed back-end under HTTP load (4 users registering and logging in)')
    down = wait_backend_back(cid, before, killed_at)
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join(60)
    bad = [r for r in results_http if r[2] != 303]
    log('HTTP under load: %d requests, %d not 303; back end back after %.1fs' %
        (len(results_http), len(bad), down))
    metrics['http_load_requests'] = len(results_http)
    if bad:
        raise Fail('%d lost requests, e.g. %s' % (len(bad), bad[:3]))


def fault_drill(state, have_front, have_chat):
    watched = [d for d in DAEMONS if d in containers()]
    ids = containers()
    before = {d: (inspect(ids[d], '{{.State.StartedAt}}'), inspect(ids[d], '{{.RestartCount}}'))
              for d in watched}
    alice = bob = None
    second = '%s-drill-%s' % (PROJECT, RUN_ID)
    if have_chat:
        # bob2 sits on a second chat server, so the probe crosses RabbitMQ and proves that
        # both chat servers reconnected (same-server messages need no broker).
        cleanups.append(lambda: subprocess.run(['docker', 'rm', '-f', second],
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL, timeout=60))
        run(['docker', 'run', '-d', '--name', second, '--network', FRONT_NET,
             '-e', 'AMQP_URL=' + AMQP_URL, '-e', 'CHAT_MAX_CONN_PER_IP=0',
             '-e', 'CHAT_FLOOD_RATE=0', 'parley/chat-server'], timeout=60)
        until('second chat-server ready', lambda: run(
            ['docker', 'exec', second, '/usr/local/bin/chat-server', '--healthcheck'],
            timeout=15, check=False).returncode == 0, 60)
        before['chat-server (2nd)'] = (inspect(second, '{{.State.StartedAt}}'),
                                       inspect(second, '{{.RestartCount}}'))
        alice = ChatClient('alice2', 'chat-server', 60876, network=FRONT_NET)
        bob = ChatClient('bob2', second, 60876, network=FRONT_NET)
        alice.wait_for('Welcome', 30)
        bob.wait_for('Welcome', 30)
        chat_pair_delivers(alice, [bob], 'before the drill')
    stop = threading.Event()
    logins = []

    def login_loop():
        email = state.get('web_account')
        while not stop.is_set():
            t = time.monotonic()
            try:
                st = Browser().login(email, PASSWORD)
            except Exception as e:  # noqa: BLE001 - expected during the outage
                st = type(e).__name__
            logins.append((t, st))
            time.sleep(0.3)
    if have_front and state.get('web_account'):
        threading.Thread(target=login_loop, daemon=True).start()

    t_restart = time.monotonic()
    compose('restart', 'messaging', timeout=180)
    t_back = time.monotonic()
    log('`restart messaging` returned after %.1fs' % (t_back - t_restart))
    done = {}
    seq = 0
    end = time.monotonic() + 180
    rpc = state.get('rpc')
    goal = len(watched) + 3 + (1 if have_chat else 0)
    while len(done) < goal and time.monotonic() < end:
        now = time.monotonic() - t_restart
        if have_chat and 'chat-server (2nd)' not in done and run(
                ['docker', 'exec', second, '/usr/local/bin/chat-server', '--healthcheck'],
                timeout=15, check=False).returncode == 0:
            done['chat-server (2nd)'] = now
        if 'messaging' not in done:
            try:
                if mq_api('GET', '/api/overview', timeout=2)[0] == 200:
                    done['messaging'] = now
            except OSError:
                pass
        for d in watched:
            if d not in done and daemon_ready(d):
                done[d] = now
        if 'requests' not in done:
            try:
                if have_front:
                    http_account_roundtrip('drill-%s-%d@e2e.test' % (RUN_ID, seq))
                else:
                    if rpc is None:
                        rpc = state['rpc'] = RpcProbe()
                    rpc.__init__()
                    r = rpc.call('REGISTER', {'email': 'drill-%s-%d@e2e.test' % (RUN_ID, seq),
                                              'hash': fake_hash()}, timeout=5)
                    if r.get('success') is not True:
                        raise Fail(str(r))
                done['requests'] = time.monotonic() - t_restart
            except Exception:  # noqa: BLE001 - not yet recovered
                pass
        if 'chat' not in done:
            if not have_chat:
                done['chat'] = 0.0
            elif alice.alive() and bob.alive():
                mark = len(bob.lines)
                alice.send('probe %d' % seq)
                try:
                    bob.wait_for('alice2: probe %d' % seq, 1.0, mark)
                    done['chat'] = time.monotonic() - t_restart
                except Fail:
                    pass
            else:
                raise Fail('a chat client was disconnected by the messaging restart')
        seq += 1
        time.sleep(0.2)
    stop.set()
    for c in (alice, bob):
        if c:
            c.close()
    for k in sorted(done, key=done.get):
        log('  %-17s recovered %.1fs after `restart messaging` was issued' % (k, done[k]))
    if not have_chat:
        done.pop('chat', None)
    missing = [k for k in watched + ['messaging', 'requests'] +
               (['chat', 'chat-server (2nd)'] if have_chat else []) if k not in done]
    if missing:
        raise Fail('not recovered within 180s: %s' % missing)
    recovery = max(done.values())
    metrics['messaging_restart_s'] = round(t_back - t_restart, 1)
    metrics['recovery_s'] = round(recovery, 1)
    metrics['messaging_ready_s'] = round(done['messaging'], 1)
    metrics['recovery_after_messaging_ready_s'] = round(recovery - done['messaging'], 1)
    log('RECOVERY: every daemon reconnected by itself; full service %.1fs after '
        '`restart messaging` was issued, %.1fs after RabbitMQ answered again' %
        (recovery, metrics['recovery_after_messaging_ready_s']))
    if logins:
        failed = [s for _, s in logins if s != 303]
        log('  log-ins during the drill: %d, %d failed (during the outage)' %
            (len(logins), len(failed)))
    ids = containers()
    for d in before:
        c = second if d == 'chat-server (2nd)' else ids[d]
        after = (inspect(c, '{{.State.StartedAt}}'), inspect(c, '{{.RestartCount}}'))
        if after != before[d]:
            raise Fail('%s was restarted (%s -> %s)' % (d, before[d], after))
    if have_chat:
        run(['docker', 'rm', '-f', second], timeout=60)


def final_down():
    compose('down', '-v', '--remove-orphans', timeout=300)
    left = run(['docker', 'volume', 'ls', '-q', '--filter', 'name=' + PROJECT]).stdout.split()
    if left:
        raise Fail('volumes left after down -v: %s' % left)


def check_compose_v2(waitfor, have_front):
    """The same file under Compose v2 (from Debian's package when only v1 is installed):
    up -d, every service healthy, an account round trip, down -v."""
    p = run([os.path.join(HERE, 'compose-v2.sh')], timeout=900, check=False)
    if p.returncode == 77:
        raise Skip('no Compose v2 here: ' + (p.stderr.strip().splitlines() or ['?'])[-1])
    if p.returncode != 0:
        raise Fail('compose-v2.sh: ' + (p.stdout + p.stderr).strip()[-300:])
    cmd = shlex.split(p.stdout.strip().splitlines()[-1])
    version = run(cmd + ['version'], timeout=30).stdout.strip()
    if cmd == COMPOSE:
        raise Skip('the run above already used %s' % version)
    project = PROJECT + 'v2'
    for k in PORTS:                 # fresh host ports: nothing waits on the old ones
        PORTS[k] = free_port()
    env = dict(ENV, COMPOSE_PROJECT_NAME=project, **{k: str(v) for k, v in PORTS.items()})
    cleanups.append(lambda: run(cmd + ['down', '-v', '--remove-orphans'], env=env,
                                timeout=300, check=False))
    run(cmd + ['config', '-q'], env=env, timeout=60)
    start = time.monotonic()
    run(cmd + ['up', '-d'], env=env, timeout=600)
    wait_healthy(waitfor, 300, project)
    metrics['cold_start_v2_s'] = round(time.monotonic() - start, 1)
    log('%s: `up -d` -> all healthy in %.1fs' % (version, metrics['cold_start_v2_s']))
    if have_front:
        http_account_roundtrip('v2-%s@e2e.test' % RUN_ID)
    run(cmd + ['down', '-v', '--remove-orphans'], env=env, timeout=300)
    left = run(['docker', 'volume', 'ls', '-q', '--filter', 'name=' + project]).stdout.split()
    if left:
        raise Fail('volumes left after down -v: %s' % left)


# ---------------------------------------------------------------- main

def cleanup():
    if os.environ.get('PARLEY_E2E_KEEP') == '1':
        log('PARLEY_E2E_KEEP=1: leaving the stack up (%s down -v to remove it)' %
            shlex.join(COMPOSE))
        return
    for fn in reversed(cleanups):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - best effort
            log('cleanup: %s' % e)
    cleanups.clear()


def on_alarm(signum, frame):
    raise Timeout('total time limit of %ss reached' % TOTAL_TIMEOUT)


def on_term(signum, frame):
    raise Timeout('terminated by signal %d' % signum)


def summary():
    passed = sum(1 for r in results if r[1] == 'passed')
    failed = sum(1 for r in results if r[1] == 'failed')
    skipped = sum(1 for r in results if r[1] == 'skipped')
    print('\n==== docker e2e summary ====')
    for name, status, detail in results:
        print('%-8s %s%s' % (status.upper(), name, (': ' + detail.splitlines()[0][:200])
                              if detail else ''))
    print('metrics: ' + json.dumps(metrics))
    try:
        os.makedirs(os.path.join(ROOT, 'tests', 'artifacts'), exist_ok=True)
        with open(os.path.join(ROOT, 'tests', 'artifacts', 'docker-e2e.json'), 'w') as f:
            json.dump({'results': results, 'metrics': metrics, 'compose': COMPOSE}, f,
                      indent=2)
    except OSError:
        pass
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return failed


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(TOTAL_TIMEOUT)
    if os.geteuid() != 0:
        print('SKIP: the Docker e2e test needs root (to install and start dockerd)')
        return 77
    log('repo %s, compose %s, project %s, ports %s lab %d' %
        (ROOT, shlex.join(COMPOSE), PROJECT, PORTS, LAB_PORT))
    targets = [t for t in ('back-end', 'front-end', 'chat-server', 'chat-client') if have(t)]
    missing = [t for t in SRC_DIR if t not in targets]
    have_front = 'front-end' in targets
    have_chat = 'chat-server' in targets and 'chat-client' in targets
    state = {}
    try:
        prepare_engine()
        # Leftovers of an interrupted earlier run.
        compose('down', '-v', '--remove-orphans', timeout=300, check=False)
        cleanups.append(lambda: compose('down', '-v', '--remove-orphans', timeout=300,
                                        check=False))
        if not targets:
            raise Fail('no daemon sources in the tree')
        if missing:
            log('not in the source tree yet: %s (their checks are skipped)' % ', '.join(missing))
        if not step('build images (docker-compose build)', build_images, targets):
            return 1
        step('image sizes, USER, ENTRYPOINT, HEALTHCHECK, labels, no shell, no secrets',
             check_images, targets)
        daemons = [d for d in DAEMONS if d in targets]
        up_services = ['messaging', 'db'] + daemons + (['chat-client'] if 'chat-client' in
                                                       targets else [])
        if not missing:
            up_services = []        # plain `up -d`: everything the file defines
        waitfor = ['messaging', 'db'] + daemons
        if not step('cold start: up -d until all healthy', cold_start, up_services, waitfor):
            log(compose('logs', '--no-color', '--tail', '30', timeout=120,
                        check=False).stdout[-6000:])
            return 1

        def need(cond, why):
            if not cond:
                raise Skip(why)
        if 'chat-client' in targets:
            step('chat-client service ran --version and exited 0', check_chat_client_service)
        step('RabbitMQ management: guest/guest refused', check_guest_refused)
        step('database unreachable from the front network', check_db_isolation)
        step('back end uses its own row-only database role', check_backend_db_role)
        if have_chat:
            step('chat clients\' network reaches the chat server, not RabbitMQ',
                 check_chat_net_isolation)
        rpc_ok = step('RPC over RabbitMQ: REGISTER, duplicate, GETHASH', check_rpc, state)
        step('RabbitMQ: a least-privilege user per daemon', check_broker_users,
             state)
        step('HTTP: register, log in, /secret', lambda: (
            need(have_front, 'front-end not in the tree yet'), check_http(state)))
        step('chat: two clients on %s and one through the published port' % CHAT_NET,
             lambda: (need(have_chat, 'chat not in the tree yet'), check_chat(state)))
        step('browser chat: chat name, ticket, WebSocket HELLO on CHAT_WS_PORT, guests see it',
             lambda: (need(have_chat and have_front, 'chat or front end not in the tree yet'),
                      check_browser_chat(state)))
        step('Chromium registers, opens /chat, picks a name, chats with lab + telnet users',
             lambda: (need(have_chat and have_front, 'chat or front end not in the tree yet'),
                      check_chromium_chat()))
        step('lab exercise: chat-server -p PORT:60876, client from another network',
             lambda: (need(have_chat and 'chat' in state, 'chat not working'),
                      check_lab_exercise(state)))
        step('down + up keeps the accounts (named volume)', check_persistence, state,
             up_services, waitfor)
        step('back-end killed under RPC load: restarted, no lost request',
             lambda: (need(rpc_ok, 'RPC not working'), check_kill_rpc_under_load(state)))
        step('back-end killed under HTTP load: restarted, no lost request',
             lambda: (need(have_front and 'web_account' in state, 'front-end not working'),
                      check_kill_http_under_load(state)))
        step('fault drill: restart messaging, daemons reconnect by themselves',
             fault_drill, state, have_front and 'web_account' in state, have_chat)
        step('down -v removes containers, networks and volumes', final_down)
        if not missing and os.environ.get('PARLEY_E2E_V2', '1') != '0':
            step('Compose v2: config, up -d, all healthy, log in, down -v',
                 check_compose_v2, waitfor, have_front)
        if missing:
            results.append(('parts for %s' % ', '.join(missing), 'skipped',
                            'not in the source tree yet'))
    except Timeout as e:
        results.append(('time limit', 'failed', str(e)))
        log('ABORT: %s' % e)
    except Fail as e:
        results.append(('setup', 'failed', str(e)))
        log('ABORT: %s' % e)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup()
    return 1 if summary() else 0


if __name__ == '__main__':
    sys.exit(main())
