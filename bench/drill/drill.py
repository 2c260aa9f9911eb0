#!/usr/bin/python3
"""Fault drill of the whole stack under mixed load (by hand: bench/drill/run).

Brings up bench/drill/compose.yml (project "parleydrill": RabbitMQ, PostgreSQL, two back
ends, a front end, two chat-server replicas), drives steady load from this host —
registrations and log-ins through the front end, chat in several rooms across both
replicas — and injects one fault at a time:

  kill -9 of each daemon type, RabbitMQ restart, PostgreSQL restart, a network cut of one
  chat replica (docker network disconnect from the broker's network), and a full disk for
  PostgreSQL (its data lives on a 400 MB loop-mounted file system of the drill's own).

Per fault it prints: requests sent / failed (a non-303 answer or no answer), requests lost
(answered 303 but not stored: account missing, or the session cookie not valid at the
end), duplicates (a fresh registration answered "already registered", i.e. executed twice),
chat messages acknowledged to their sender (a PONG after the message: the server had read
it), lost (an acknowledged message missing at a member of the room that was connected
throughout; split into same-replica and cross-replica receivers) and duplicated (received
twice), acknowledged messages missing from the history table, and seconds from the
injection (or from the repair, for the cut and the full disk) until every daemon is ready
and a log-in session check and a chat message in each direction between the replicas
work again.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "drill")
for sub in (("tests", "harness"), ("tests", "frontend"), ("tests", "chat", "server")):
    sys.path.insert(0, os.path.join(ROOT, *sub))
import fe_client as fc  # noqa: E402
from lab_client import LabClient  # noqa: E402

# ---- names and credentials: in one place, to follow renames (queue, per-daemon users).
PROJECT = "parleydrill"
RPC_QUEUE = "request"
MQ_USER, MQ_PASS = "parley", "drill-mq-pass"
PG_USER, PG_PASS, PG_DB = "parley", "drill-db-pass", "parley"
AMQP_URL = f"amqp://{MQ_USER}:{MQ_PASS}@messaging:5672"
IMAGES = {"DRILL_RABBITMQ_IMAGE": os.environ.get("RABBITMQ_STANDIN", "parley-test/rabbitmq:local"),
          "DRILL_POSTGRES_IMAGE": os.environ.get("POSTGRES_STANDIN", "parley-test/postgres:local")}
PGDATA_MB = 400
ROOMS = ["drill-a", "drill-b", "drill-c"]
USERS_PER_ROOM_PER_REPLICA = 2
CHAT_INTERVAL = 0.5
HTTP_WORKERS = 2
CUT_S = 12            # network cut length
FULL_S = 30           # how long the disk stays full
RECOVERY_LIMIT = 150

T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def sh(cmd, timeout=300, check=True, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: "
                           f"{(p.stdout + p.stderr).strip()[-2000:]}")
    return p


def free_port():
    import random
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


PORTS = {k: free_port() for k in ("DRILL_HTTP_PORT", "DRILL_CHAT1_PORT", "DRILL_CHAT1_ADMIN",
                                  "DRILL_CHAT2_PORT", "DRILL_CHAT2_ADMIN", "DRILL_BE1_ADMIN",
                                  "DRILL_BE2_ADMIN")}
MNT = f"/tmp/{PROJECT}-pgdata"
IMG = f"/tmp/{PROJECT}-pgdata.img"
ENV = dict(os.environ, COMPOSE_PROJECT_NAME=PROJECT, DRILL_AMQP_URL=AMQP_URL,
           DRILL_MQ_USER=MQ_USER, DRILL_MQ_PASS=MQ_PASS, DRILL_PG_USER=PG_USER,
           DRILL_PG_PASS=PG_PASS, DRILL_PG_DB=PG_DB, DRILL_PGDATA=MNT,
           **IMAGES, **{k: str(v) for k, v in PORTS.items()})
COMPOSE = (["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]) + \
    ["-f", os.path.join(HERE, "compose.yml"), "-p", PROJECT]


def compose(*args, timeout=300, check=True):
    return sh(COMPOSE + list(args), timeout=timeout, check=check, env=ENV)


def cid(service):
    return compose("ps", "-q", service).stdout.strip()


def psql(sql):
    out = sh(["docker", "exec", cid("db"), "psql", "-X", "-q", "-A", "-t", "-U", PG_USER,
              "-d", PG_DB, "-c", sql], timeout=60).stdout
    return [line.split("|") for line in out.splitlines() if line]


def ready(port, path="/readyz"):
    try:
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


READY_PORTS = {"back-end-1": PORTS["DRILL_BE1_ADMIN"], "back-end-2": PORTS["DRILL_BE2_ADMIN"],
               "front-end": PORTS["DRILL_HTTP_PORT"], "chat-server-1": PORTS["DRILL_CHAT1_ADMIN"],
               "chat-server-2": PORTS["DRILL_CHAT2_ADMIN"]}
CHAT_PORTS = {1: PORTS["DRILL_CHAT1_PORT"], 2: PORTS["DRILL_CHAT2_PORT"]}

# ---------------------------------------------------------------- load and records
stop = threading.Event()
lock = threading.Lock()
phase = {"name": "warm-up"}
http_log = []        # (phase, kind, email, status, cookie-jar or None, detail)
sent = {}            # token -> dict(sender session, room, replica, t_send, t_ack, phase)
sessions = []        # dicts: id, room, replica, t_joined, t_closed, got {token: count}
injected_at = {}     # fault -> wall-clock time of the injection
TOKEN = re.compile(r"drill:[0-9a-f]+:\d+")


def http_worker(n):
    i = 0
    while not stop.is_set():
        i += 1
        mail = f"drill{n}x{i}x{uuid.uuid4().hex[:8]}@example.com"
        pw = fc.password()
        for kind in ("register", "login"):
            ph = phase["name"]
            b = fc.Browser(PORTS["DRILL_HTTP_PORT"])
            try:
                r = b.register(mail, pw) if kind == "register" else b.login(mail, pw)
                st = r.status
                body = r.body if isinstance(r.body, str) else r.body.decode(errors="replace")
                detail = "already" if "already registered" in body else ""
            except Exception as e:  # noqa: BLE001 - counted as a failure
                st, detail = type(e).__name__, ""
            with lock:
                http_log.append((ph, kind, mail, st, dict(b.cookies) if st == 303 else None,
                                 detail))
            if st != 303:
                break
        stop.wait(0.2)


class ChatUser(threading.Thread):
    """One chat user on one replica: joins its room, sends a token every CHAT_INTERVAL
    followed by a PING; the PONG acknowledges the token.  Reconnects after a loss."""

    def __init__(self, replica, room, probe=False):
        super().__init__(daemon=True)
        self.replica, self.room, self.probe = replica, room, probe
        self.cl = None
        self.session = None
        self.unacked = []
        self.n = 0
        self.alive_cl = threading.Event()

    def connect(self):
        cl = LabClient("127.0.0.1", CHAT_PORTS[self.replica], timeout=5)
        sid = uuid.uuid4().hex[:10]
        welcome, _ = cl.login(f"d{sid}", features=["ping", "meta", "error"])
        cl.chat(f"/join {self.room}")
        cl.recv_until(lambda m: m.get("content", "").startswith("SERVER: you are now in"),
                      timeout=5)
        s = {"id": sid, "room": self.room, "replica": self.replica,
             "t_joined": time.monotonic(), "t_closed": None, "got": {}, "probe": self.probe}
        with lock:
            sessions.append(s)
        return cl, s

    def reader(self, cl, s):
        try:
            while True:
                m = cl.recv(timeout=30)
                t = m.get("type")
                if t == "PING":
                    cl.send({"type": "PONG"})
                elif t == "PONG":
                    with lock:
                        if self.unacked:
                            tok = self.unacked.pop(0)
                            sent[tok]["t_ack"] = time.monotonic()
                elif t == "CHAT" and not m.get("history"):
                    mt = TOKEN.search(m.get("content", ""))
                    if mt:
                        with lock:
                            s["got"][mt.group(0)] = s["got"].get(mt.group(0), 0) + 1
        except Exception:  # noqa: BLE001 - closed or silent: the sender reconnects
            pass
        finally:
            with lock:
                if s["t_closed"] is None:
                    s["t_closed"] = time.monotonic()
            self.alive_cl.clear()

    def send_token(self):
        self.n += 1
        tok = f"drill:{self.session['id']}:{self.n}"
        with lock:
            sent[tok] = {"session": self.session["id"], "room": self.room,
                         "replica": self.replica, "t_send": time.monotonic(), "wall": time.time(), "t_ack": None,
                         "phase": phase["name"], "probe": self.probe}
            self.unacked.append(tok)
        self.cl.chat(f"msg {tok}")
        self.cl.send({"type": "PING"})
        return tok

    def run(self):
        while not stop.is_set():
            try:
                self.cl, self.session = self.connect()
            except Exception:  # noqa: BLE001 - replica down or no names: retry
                stop.wait(0.5)
                continue
            with lock:
                self.unacked = []
            self.alive_cl.set()
            rd = threading.Thread(target=self.reader, args=(self.cl, self.session),
                                  daemon=True)
            rd.start()
            try:
                while not stop.is_set() and self.alive_cl.is_set():
                    if not self.probe:
                        self.send_token()
                    stop.wait(CHAT_INTERVAL)
            except OSError:
                pass
            try:
                self.cl.close()
            except Exception:  # noqa: BLE001
                pass
            rd.join(5)


def probe_ok(probe_a, probe_b, cookie):
    """Everything serving: all daemons ready, a session check through front end, back
    end and PostgreSQL, and one chat message each way between the replicas."""
    if not all(ready(p) for p in READY_PORTS.values()):
        return False
    try:
        b = fc.Browser(PORTS["DRILL_HTTP_PORT"])
        b.cookies = dict(cookie)
        if b.get("/secret", timeout=3).status != 200:
            return False
    except Exception:  # noqa: BLE001
        return False
    for src, dst in ((probe_a, probe_b), (probe_b, probe_a)):
        if not (src.alive_cl.is_set() and dst.alive_cl.is_set()):
            return False
        try:
            tok = src.send_token()
        except OSError:
            return False
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            with lock:
                if dst.session["got"].get(tok):
                    break
            time.sleep(0.02)
        else:
            return False
    return True


# ---------------------------------------------------------------- faults
def kill9(service):
    """SIGKILL of the daemon's process, as a crash would (Docker does not restart a
    container stopped with `docker kill`: that counts as stopped by hand)."""
    def inject():
        pid = int(sh(["docker", "inspect", "-f", "{{.State.Pid}}", cid(service)]).stdout)
        os.kill(pid, 9)
    return inject


def restart(service):
    def inject():
        sh(["docker", "restart", "-t", "10", cid(service)], timeout=180)
    return inject


def cut(service):
    def inject():
        net = f"{PROJECT}_core"
        c = cid(service)
        sh(["docker", "network", "disconnect", net, c])
        time.sleep(CUT_S)
        sh(["docker", "network", "connect", net, c])
    return inject


def disk_full():
    fills = [os.path.join(MNT, "fill"), os.path.join(MNT, "fill-small")]
    # 1 MiB blocks until ENOSPC, then 4 KiB blocks for the last partial MiB.
    sh(["dd", "if=/dev/zero", f"of={fills[0]}", "bs=1M"], check=False, timeout=120)
    sh(["dd", "if=/dev/zero", f"of={fills[1]}", "bs=4k"], check=False, timeout=120)
    log("  disk full: " + sh(["df", "-h", MNT]).stdout.splitlines()[-1])
    time.sleep(FULL_S)
    for f in fills:
        os.unlink(f)


FAULTS = [
    ("kill -9 back-end-1", kill9("back-end-1"), False),
    ("kill -9 front-end", kill9("front-end"), False),
    ("kill -9 chat-server-1", kill9("chat-server-1"), False),
    ("RabbitMQ restart", restart("messaging"), False),
    ("PostgreSQL restart", restart("db"), False),
    (f"network cut chat-server-2 ({CUT_S} s)", cut("chat-server-2"), True),
    (f"PostgreSQL disk full ({FULL_S} s)", disk_full, True),
]


def run_fault(name, inject, from_repair, probes, cookie):
    phase["name"] = name
    log(f"--- {name}")
    time.sleep(3)
    injected_at[name] = time.time()
    t0 = time.monotonic()
    inject()
    t1 = time.monotonic()
    start = t1 if from_repair else t0
    seen_bad = False
    rec = None
    while time.monotonic() - start < RECOVERY_LIMIT:
        t = time.monotonic()
        if probe_ok(probes[0], probes[1], cookie):
            if seen_bad:
                rec = t - start
                break
            if t - t0 > 3:          # the probes never saw it: no disruption
                rec = 0.0
                break
        else:
            seen_bad = True
        time.sleep(0.2)
    log(f"    recovered after {rec:.1f}s" if rec is not None else "    NOT recovered")
    time.sleep(5)
    return rec


# ---------------------------------------------------------------- broker return, from logs
LINE = re.compile(r"^(?P<svc>[\w-]+?)(?:_\d+)?\s+\| (?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d+)\S*"
                  r" (?P<rest>.*)$")


def _utc(ts):
    from datetime import datetime, timezone
    return datetime.strptime(ts.replace("T", " ")[:26], "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=timezone.utc).timestamp()


def broker_return(log_text, after):
    """From `compose logs`: when RabbitMQ's AMQP listener stopped and started again after
    the wall-clock time `after`, and when each daemon's connection (service, name)
    connected again.  Returns (stopped, started, {(service, name): time}) or None."""
    stopped = started = None
    lines = []
    for line in log_text.splitlines():      # grouped by container, not by time
        m = LINE.match(line)
        if m and _utc(m.group("ts")) >= after:
            lines.append((_utc(m.group("ts")), m.group("svc"), m.group("rest")))
    for t, svc, rest in sorted(lines):
        if svc == "messaging" and "stopped TCP listener" in rest and stopped is None:
            stopped = t
        elif svc == "messaging" and "started TCP listener" in rest and stopped and not started:
            started = t
    connected = {}
    for t, svc, rest in sorted(lines):
        if started is not None and t >= stopped and "amqp connected name=" in rest:
            name = rest.split("amqp connected name=", 1)[1].split()[0]
            connected.setdefault((svc, name), t)
    if started is None:
        return None
    return stopped, started, connected


# ---------------------------------------------------------------- set-up and report
def setup_disk():
    teardown_disk()
    sh(["truncate", "-s", f"{PGDATA_MB}M", IMG])
    sh(["mkfs.ext4", "-q", "-F", "-m", "0", IMG])
    os.makedirs(MNT, exist_ok=True)
    sh(["mount", "-o", "loop", IMG, MNT])


def teardown_disk():
    if os.path.ismount(MNT):
        sh(["umount", MNT], check=False)
    if os.path.exists(MNT):
        os.rmdir(MNT)
    if os.path.exists(IMG):
        os.unlink(IMG)


def report(recovery, accepted_ok, http_log):
    rows = []
    names = [n for n, _, _ in FAULTS]
    hist = {row[0]: int(row[1]) for row in psql(
        "SELECT substring(content from 'drill:[0-9a-f]+:[0-9]+'), count(*) FROM chat_messages "
        "WHERE room LIKE 'drill-%' GROUP BY 1")}
    # The back end keeps the last 1000 messages per room (CHAT_KEEP): older ones are
    # pruned, not lost.  A room's oldest kept message marks where pruning stopped.
    oldest = {row[0]: int(row[1]) / 1000 for row in psql(
        "SELECT room, min(ts) FROM chat_messages WHERE room LIKE 'drill-%' GROUP BY 1 "
        "HAVING count(*) >= 1000")}
    now = time.monotonic()
    for name in names:
        reqs = [r for r in http_log if r[0] == name]
        failed = [r for r in reqs if r[3] != 303]
        lost = [r for r in reqs if r[3] == 303 and not accepted_ok.get((r[1], r[2]), True)]
        dups = [r for r in reqs if r[5] == "already" and r[1] == "register"]
        acked = [(tok, m) for tok, m in sent.items()
                 if m["phase"] == name and m["t_ack"] is not None and not m["probe"]]
        lost_local = lost_cross = dup_chat = missing_hist = pruned = 0
        for tok, m in acked:
            for s in sessions:
                if s["id"] == m["session"] or s["room"] != m["room"] or s["probe"]:
                    continue
                if s["t_joined"] > m["t_send"] - 0.5:
                    continue
                if (s["t_closed"] or now) < m["t_ack"] + 3:
                    continue
                c = s["got"].get(tok, 0)
                if c == 0:
                    if s["replica"] == m["replica"]:
                        lost_local += 1
                    else:
                        lost_cross += 1
                elif c > 1:
                    dup_chat += 1
            if hist.get(tok, 0) == 0:
                if m["wall"] < oldest.get(m["room"], 0) + 1:
                    pruned += 1
                else:
                    missing_hist += 1
            elif hist[tok] > 1:
                dup_chat += 1
        rows.append((name, len(reqs), len(failed), len(lost), len(dups), len(acked),
                     lost_local, lost_cross, dup_chat, missing_hist, recovery.get(name), pruned))
    print()
    print("| fault | requests | failed | lost | duplicated | chat acked | lost, same replica "
          "| lost, other replica | duplicated | not in history | recovery s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        rec = f"{r[10]:.1f}" if r[10] is not None else "not recovered"
        print("| " + " | ".join(str(x) for x in r[:10]) + f" | {rec} |")
    pr = sum(r[11] for r in rows)
    if pr:
        print(f"\n({pr} acknowledged messages not in the history were older than their "
              "room's last 1000, which the back end keeps: pruned, not counted as missing)")
    return rows


def main():
    if os.geteuid() != 0:
        sys.exit("drill: needs root (docker, loop mount)")
    log(f"project {PROJECT}, ports {PORTS}")
    setup_disk()
    try:
        compose("down", "-v", "--remove-orphans", check=False)
        compose("up", "-d", timeout=600)
        deadline = time.monotonic() + 240
        while not all(ready(p) for p in READY_PORTS.values()):
            if time.monotonic() > deadline:
                log(compose("logs", "--no-color", "--tail", "20", check=False).stdout[-5000:])
                sys.exit("drill: stack not ready in 240 s")
            time.sleep(1)
        log("stack ready")
        # A log-in whose session the probes check, then the load.
        b = fc.Browser(PORTS["DRILL_HTTP_PORT"])
        mail, pw = fc.email("drillprobe"), fc.password()
        assert b.register(mail, pw).status == 303
        b = fc.Browser(PORTS["DRILL_HTTP_PORT"])
        assert b.login(mail, pw).status == 303
        cookie = dict(b.cookies)
        probes = [ChatUser(1, "drill-probe", probe=True), ChatUser(2, "drill-probe", probe=True)]
        users = [ChatUser(rep, room) for room in ROOMS for rep in (1, 2)
                 for _ in range(USERS_PER_ROOM_PER_REPLICA)]
        for u in probes + users:
            u.start()
        for n in range(HTTP_WORKERS):
            threading.Thread(target=http_worker, args=(n,), daemon=True).start()
        time.sleep(10)
        if not probe_ok(probes[0], probes[1], cookie):
            sys.exit("drill: probes fail before any fault")
        recovery = {}
        for name, inject, from_repair in FAULTS:
            recovery[name] = run_fault(name, inject, from_repair, probes, cookie)
        phase["name"] = "after"
        time.sleep(5)
        stop.set()
        time.sleep(10)      # history batches and retries land
        log("checking what was stored")
        with lock:
            reqs = list(http_log)
        users_db = {r[0] for r in psql("SELECT email FROM users WHERE email LIKE 'drill%'")}
        accepted_ok = {}
        for ph, kind, email, st, jar, _ in reqs:
            if st != 303:
                continue
            if kind == "register":
                accepted_ok[(kind, email)] = email in users_db
            else:
                bb = fc.Browser(PORTS["DRILL_HTTP_PORT"])
                bb.cookies = dict(jar)
                try:
                    accepted_ok[(kind, email)] = bb.get("/secret").status == 200
                except Exception:  # noqa: BLE001
                    accepted_ok[(kind, email)] = False
        rows = report(recovery, accepted_ok, reqs)
        with open(os.path.join(ROOT, "tests", "artifacts", "drill.json"), "w") as f:
            json.dump({"rows": rows, "ports": PORTS}, f, indent=1)
        restarts = {s: sh(["docker", "inspect", "-f", "{{.RestartCount}}", cid(s)]).stdout.strip()
                    for s in ("back-end-1", "front-end", "chat-server-1", "messaging", "db")}
        print(f"\ncontainer restarts: {restarts}")
        br = broker_return(compose("logs", "--no-color", check=False).stdout,
                           injected_at.get("RabbitMQ restart", 0))
        if br:
            stopped, started, conns = br
            late = max(conns.values()) - started if conns else float("nan")
            print(f"RabbitMQ restart: AMQP listener away {started - (stopped or started):.1f} s; "
                  f"{len(conns)} daemon connections back {late:.2f} s after it listened again "
                  "(from the containers' logs)")
    finally:
        stop.set()
        if os.environ.get("DRILL_KEEP") != "1":
            out = compose("logs", "--no-color", check=False).stdout
            os.makedirs(os.path.join(ROOT, "tests", "artifacts"), exist_ok=True)
            with open(os.path.join(ROOT, "tests", "artifacts", "drill-compose.log"), "w") as f:
                f.write(out)
            compose("down", "-v", "--remove-orphans", check=False)
            teardown_disk()


if __name__ == "__main__":
    os.makedirs(os.path.join(ROOT, "tests", "artifacts"), exist_ok=True)
    main()
