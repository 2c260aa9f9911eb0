#!/usr/bin/python3
"""Front-end benchmarks (run by hand: bench/frontend/run).

(a) GET /login with wrk -t2 -c50, beside nginx serving a static page of the
    same size, in the same run.  Target: >= 50% of nginx's requests/s.
(b) Log-in throughput with valid credentials (POST /login -> 303, which
    includes LOGIN_PREPARE, one Argon2id verify and SESSION_CREATE), beside
    two bounds: cores / verify time (Argon2id alone, the verify time measured
    here with libsodium on a hash made with the front end's parameters), and
    the honest one, cores / (verify + the CPU a log-in costs outside
    Argon2id), that CPU measured per daemon from /proc/PID/stat (utime +
    stime of the front end minus its verifies, the back end, RabbitMQ and
    PostgreSQL, each with its threads and child processes) over the run.
    Target: >= 90% of the bound.

Everything runs on this machine: RabbitMQ, PostgreSQL, the back end, the
front end, nginx and wrk share the cores, as they would on one small host.
"""
import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
sys.path.insert(0, os.path.join(ROOT, "tests", "frontend"))
import parley_harness as h  # noqa: E402
import fe_client as fc  # noqa: E402

CORES = os.cpu_count() or 1
ARGON2_MEM_KIB = 19456
ARGON2_T = 2


def wrk(url, threads, conns, seconds, script=None):
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx3xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errs.group(1) if errs else "none", "raw": out}


def nginx(root, port):
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes {CORES};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server_tokens off;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location = /login {{ default_type "text/html; charset=utf-8"; try_files /login.html =404; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", root], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    h.wait_for(lambda: h.http_status(f"http://127.0.0.1:{port}/login") == 200, 20, "nginx")
    return proc


def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium"))
    lib.sodium_init()
    return lib


def verify_time(lib, hashed, password, n):
    """CPU seconds per crypto_pwhash_str_verify on one thread (thread CPU
    time, not wall time, so that other work on a busy machine does not
    inflate it)."""
    t = time.thread_time()
    for _ in range(n):
        assert lib.crypto_pwhash_str_verify(hashed, password,
                                            ctypes.c_ulonglong(len(password))) == 0
    return (time.thread_time() - t) / n


def make_hash(lib, password):
    out = ctypes.create_string_buffer(128)
    rc = lib.crypto_pwhash_str_alg(out, password, ctypes.c_ulonglong(len(password)),
                                   ctypes.c_ulonglong(ARGON2_T),
                                   ctypes.c_size_t(ARGON2_MEM_KIB * 1024), 2)
    assert rc == 0
    return out.value


def login_script(path, body, cookie):
    with open(path, "w") as f:
        f.write(f"""wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
""")


def _children():
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def cpu_seconds(root_pid):
    """utime + stime of root_pid and every live descendant, in seconds."""
    kids, total, todo = _children(), 0, [root_pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def postmaster_pid(pg):
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        return int(f.readline())


def metric(body, name):
    m = re.search(re.escape(name) + r" ([\d.e+]+)", body)
    return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--login-conns", type=int, default=4 * CORES)
    ap.add_argument("--perf", action="store_true",
                    help="record the front end with perf during the log-in run and print "
                    "where its CPU goes")
    args = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} missing (tests/install-deps.sh installs it)")

    tmp = tempfile.mkdtemp(prefix="parley-bench-fe-")
    os.chmod(tmp, 0o755)
    print(f"machine: {CORES} cores; services, back end, front end, nginx and wrk share them",
          flush=True)
    services = h.private_services()
    backend = h.backend(services, replicas=1, test="bench_frontend",
                        env={"BACKEND_WORKERS": str(max(2, CORES))})[0]
    fe = fc.frontend(services, test="bench_frontend",
                     env={"HTTP_MAX_CONN_PER_IP": "0", "LOG_LEVEL": "warn"})
    base = f"http://127.0.0.1:{fe.port}"

    # (a) GET /login against nginx with the same bytes.
    page = fc.Browser(fe.port).get("/login").body.encode()
    with open(os.path.join(tmp, "login.html"), "wb") as f:
        f.write(page)
    os.chmod(os.path.join(tmp, "login.html"), 0o644)
    nport = h.free_port()
    ng = nginx(tmp, nport)
    try:
        wrk(f"{base}/login", 2, 50, 2)            # warm-up
        ours = wrk(f"{base}/login", 2, 50, args.seconds)
        ref = wrk(f"http://127.0.0.1:{nport}/login", 2, 50, args.seconds)
    finally:
        os.killpg(ng.pid, 15)
        ng.wait(timeout=10)

    # (b) log-in throughput.
    lib = sodium()
    pw = b"benchmark password " + os.urandom(4).hex().encode()
    hashed = make_hash(lib, pw)
    t1 = statistics.median(verify_time(lib, hashed, pw, 5) for _ in range(3))
    b = fc.Browser(fe.port)
    mail = fc.email("bench")
    assert b.register(mail, pw.decode()).status == 303
    b = fc.Browser(fe.port)
    token = b.token("/login")
    cookie = "; ".join(f"{k}={v}" for k, v in b.cookies.items())
    body = urlencode({"email": mail, "password": pw.decode(), "csrf_token": token})
    script = os.path.join(tmp, "login.lua")
    login_script(script, body, cookie)
    daemons = {"front-end": fe.proc.pid, "back-end": backend.proc.pid,
               "RabbitMQ": services.rabbitmq.proc.pid,
               "PostgreSQL": postmaster_pid(services.postgres)}
    before = fc.metrics(fe)
    cpu0 = {k: cpu_seconds(p) for k, p in daemons.items()}
    perf = None
    if args.perf:
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-o",
                                 os.path.join(tmp, "perf.data"), "-p", str(fe.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    login = wrk(f"{base}/login", 2, args.login_conns, args.seconds, script)
    if perf is not None:
        perf.send_signal(2)
        perf.wait(timeout=60)
    cpu1 = {k: cpu_seconds(p) for k, p in daemons.items()}
    after = fc.metrics(fe)
    ok = metric(after, 'parley_logins_total{result="ok"}') - metric(before, 'parley_logins_total{result="ok"}')
    vsum = metric(after, 'parley_password_hash_seconds_sum{op="verify"}') - \
        metric(before, 'parley_password_hash_seconds_sum{op="verify"}')
    vcnt = metric(after, 'parley_password_hash_seconds_count{op="verify"}') - \
        metric(before, 'parley_password_hash_seconds_count{op="verify"}')
    t_inrun = vsum / vcnt if vcnt else float("nan")
    bound = CORES / t1
    n = ok if ok else login["rps"] * args.seconds   # log-ins in the run
    per = {k: (cpu1[k] - cpu0[k]) / n for k in daemons}
    per["front-end"] -= vcnt * t1 / n        # its Argon2id verifies' CPU
    other = sum(per.values())
    honest = CORES / (t1 + other)

    print()
    print("(a) GET /login, wrk -t2 -c50 -d%ds, page %d bytes" % (args.seconds, len(page)))
    print(f"{'server':<26}{'req/s':>12}{'p50':>10}{'p99':>10}  errors")
    print(f"{'front-end (libmicrohttpd)':<26}{ours['rps']:>12.0f}{ours['p50']:>10}{ours['p99']:>10}"
          f"  non-2xx/3xx={ours['non2xx3xx']} socket={ours['socket_errors']}")
    print(f"{'nginx static file':<26}{ref['rps']:>12.0f}{ref['p50']:>10}{ref['p99']:>10}"
          f"  non-2xx/3xx={ref['non2xx3xx']} socket={ref['socket_errors']}")
    print(f"front-end / nginx = {100 * ours['rps'] / ref['rps']:.0f}%   (target >= 50%)")
    print()
    print("(b) POST /login with valid credentials (303), wrk -t2 -c%d -d%ds, Argon2id m=%d KiB t=%d p=1"
          % (args.login_conns, args.seconds, ARGON2_MEM_KIB, ARGON2_T))
    print(f"{'measure':<52}{'value':>12}")
    print(f"{'Argon2id verify, CPU time of 1 thread (libsodium)':<52}{t1 * 1e3:>10.1f}ms")
    print(f"{'Argon2id verify inside the front end during the run':<52}{t_inrun * 1e3:>10.1f}ms")
    print(f"{'Argon2id-only bound = cores / verify CPU':<52}{bound:>10.1f}/s")
    print("CPU per log-in outside Argon2id (/proc/PID/stat over the run):")
    for k, v in per.items():
        label = f"  {k}" + (" (minus its verifies)" if k == "front-end" else "")
        print(f"{label:<52}{v * 1e3:>10.2f}ms")
    print(f"{'  total':<52}{other * 1e3:>10.2f}ms")
    print(f"{'honest bound = cores / (verify + that CPU)':<52}{honest:>10.1f}/s")
    print(f"{'logins/s measured (303 answers)':<52}{login['rps']:>10.1f}/s")
    print(f"{'  of which counted ok by the front end':<52}{ok / args.seconds:>10.1f}/s")
    print(f"{'  p50 / p99 latency':<52}{login['p50'] + ' / ' + login['p99']:>12}")
    print(f"{'  non-2xx/3xx answers':<52}{login['non2xx3xx']:>12}")
    print(f"logins / Argon2id-only bound = {100 * login['rps'] / bound:.0f}%")
    print(f"logins / honest bound = {100 * login['rps'] / honest:.0f}%   (target >= 90%)")

    if perf is not None:
        rep = subprocess.run(["perf", "report", "-q", "--stdio", "--no-children", "-g", "none",
                              "--sort", "dso,symbol", "-i", os.path.join(tmp, "perf.data")],
                             capture_output=True, text=True, timeout=120).stdout
        print("\nfront end during the log-in run (perf, self time):")
        print("\n".join(line for line in rep.splitlines()[:25] if line.strip()))
    fe.stop()
    backend.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
