"""Run one fuzz target for the suite (tests/CMakeLists.txt parley_fuzz_target).

    fuzz_run.py [--database] [--libfuzzer SECONDS] BINARY CORPUS_DIR

--database: the target gets DATABASE_URL of a scratch database with db/*.sql
applied, created in the suite's shared PostgreSQL (tests/run) or a private
one, and dropped afterwards: fuzzed inputs write rows that other tests must
not see (a fuzzed CHAT_CLAIM could hold a name for a day).
--libfuzzer: BINARY is linked with libFuzzer; run it for SECONDS over a copy
of CORPUS_DIR (new finds go to a temporary directory, never into the
repository; crashes to tests/artifacts/<binary>/; with PARLEY_FUZZ_KEEP=DIR
the grown corpus is left in DIR/<binary> for `BINARY -merge=1 CORPUS_DIR
DIR/<binary>`, which adds to the committed corpus only inputs with new
coverage).  Without it BINARY uses tests/fuzz_driver.c: the corpus, then a
fixed number of mutations.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

import parley_harness as h


def scratch_database():
    """URL of a fresh database with the schema; dropped at exit."""
    shared = os.environ.get("PARLEY_TEST_DATABASE_URL")
    sock = os.environ.get("PARLEY_TEST_PG_SOCKET_DIR")
    port = os.environ.get("PARLEY_TEST_PG_PORT")
    if not (shared and sock and port):
        pg = h.Postgres()
        shared, sock, port = pg.url, pg.dir, str(pg.port)
    name = "fuzz_" + uuid.uuid4().hex[:12]
    url = urllib.parse.urlsplit(shared)

    def superuser(sql):
        h._as_user("postgres", ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sock,
                                "-p", port, "-d", "postgres", "-c", sql])
    superuser(f"CREATE DATABASE {name} OWNER {url.username}")
    h._cleanups.append(lambda: superuser(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(url.password or ""))
    for f in sorted(os.listdir(os.path.join(h.ROOT, "db"))):
        if f.endswith(".sql"):
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname,
                            "-p", str(url.port), "-U", url.username, "-d", name,
                            "-f", os.path.join(h.ROOT, "db", f)],
                           env=env, check=True, capture_output=True, text=True)
    return urllib.parse.urlunsplit(url._replace(path="/" + name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", action="store_true")
    ap.add_argument("--libfuzzer", type=int, metavar="SECONDS")
    ap.add_argument("binary")
    ap.add_argument("corpus")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.database:
        env["DATABASE_URL"] = scratch_database()
    if args.libfuzzer is None:
        return subprocess.run([args.binary, args.corpus], env=env).returncode
    name = os.path.basename(args.binary)
    artifacts = h.artifact_dir(name)
    # Leaks: libraries' global state is not ours (as tests/run's sanitizer pass).
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    with tempfile.TemporaryDirectory(prefix=f"{name}.") as work:
        found = os.path.join(work, "corpus")
        shutil.copytree(args.corpus, found)
        rc = subprocess.run([args.binary, f"-max_total_time={args.libfuzzer}",
                             "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                             f"-artifact_prefix={artifacts}/", found], env=env).returncode
        if rc == 0:
            print(f"fuzz_run: {name}: {len(os.listdir(found))} corpus files after "
                  f"{args.libfuzzer} s (started with {len(os.listdir(args.corpus))})")
        keep = os.environ.get("PARLEY_FUZZ_KEEP")
        if keep:
            shutil.rmtree(os.path.join(keep, name), ignore_errors=True)
            shutil.copytree(found, os.path.join(keep, name))
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        h._run_cleanups()
