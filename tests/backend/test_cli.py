"""The back end's command line and configuration errors."""
import os
import socket
import subprocess
import unittest

import parley_harness as h

BACKEND = os.path.join(h.BIN, "back-end")


def run(args, env=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    e.update(env or {})
    return subprocess.run([BACKEND] + args, env=e, capture_output=True, text=True, timeout=20)


class BackendCli(unittest.TestCase):
    def test_help_and_version(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("AMQP_URL", r.stdout)
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"back-end \d+\.\d+\.\d+")

    def test_unknown_argument(self):
        self.assertEqual(run(["--bogus"]).returncode, 2)

    def test_missing_settings_are_named(self):
        r = run([])
        self.assertEqual(r.returncode, 1)
        self.assertIn("AMQP_URL must be set", r.stderr)
        self.assertRegex(r.stderr, r"Z fatal back-end: config missing: AMQP_URL")
        r = run([], {"AMQP_URL": "amqp://u:p@127.0.0.1:1"})
        self.assertIn("DATABASE_URL must be set", r.stderr)

    def test_busy_admin_port_is_fatal_with_the_reason(self):
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(("0.0.0.0", 0))
            busy.listen()
            port = busy.getsockname()[1]
            r = run([], {"AMQP_URL": f"amqp://u:p@127.0.0.1:{h.free_port()}",
                         "DATABASE_URL": f"postgresql://x@127.0.0.1:{h.free_port()}/p",
                         "ADMIN_PORT": str(port)})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"(?m)Z fatal back-end: cannot listen on admin port "
                         rf"{port} err=\"Address already in use\"$")

    def test_invalid_settings_are_explained(self):
        base = {"AMQP_URL": "amqp://u:p@127.0.0.1:1", "DATABASE_URL": "postgresql://x@127.0.0.1:1/p"}
        r = run([], dict(base, AMQP_URL="http://nope"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("AMQP_URL is not a valid amqp:// URI", r.stderr)
        r = run([], dict(base, BACKEND_WORKERS="many"))
        self.assertIn("BACKEND_WORKERS must be an integer", r.stderr)
        r = run([], dict(base, ADMIN_PORT="70000"))
        self.assertIn("ADMIN_PORT must be between 1 and 65535", r.stderr)

    def test_healthcheck_fails_without_a_server(self):
        self.assertEqual(run(["--healthcheck"], {"ADMIN_PORT": str(h.free_port())}).returncode, 1)

    def test_secrets_never_logged(self):
        """Unreachable servers: the log names host and port, never the password."""
        d = h.Daemon("back-end", env={
            "AMQP_URL": f"amqp://user:S3cretAmqp@127.0.0.1:{h.free_port()}",
            "DATABASE_URL": f"postgresql://user:S3cretPg@127.0.0.1:{h.free_port()}/parley",
            "ADMIN_PORT": str(h.free_port())}, test="backend_cli")
        h.wait_for(lambda: "amqp connect failed" in d.log(), 20, "a failed connect log")
        self.assertEqual(d.stop(), 0)
        self.assertNotIn("S3cret", d.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
