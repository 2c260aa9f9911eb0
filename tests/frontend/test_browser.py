"""End-to-end in a real browser: Debian's chromium driven by playwright-core
(tests/frontend/browser.mjs) against a real front end, back end, RabbitMQ
and PostgreSQL.  Screenshots go to tests/artifacts/frontend/."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEST = "frontend"


def node_ready():
    if not shutil.which("node") or not os.path.exists("/usr/bin/chromium"):
        return False
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       timeout=300, capture_output=True)
    return True


class FrontendBrowser(unittest.TestCase):
    def test_register_login_logout_in_chromium(self):
        if not node_ready():
            raise unittest.SkipTest("node or /usr/bin/chromium missing")
        services = h.shared_services()
        backend = fc.backend(services, test=TEST)
        fe = fc.frontend(services, test=TEST)
        shots = h.artifact_dir(TEST)
        for f in os.listdir(shots):
            if f.endswith(".png"):
                os.unlink(os.path.join(shots, f))
        env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{fe.port}", ARTIFACTS=shots)
        run = subprocess.run(["node", os.path.join(HERE, "browser.mjs")], env=env,
                             capture_output=True, text=True, timeout=240)
        with open(os.path.join(shots, "browser.log"), "w") as f:
            f.write(run.stdout + run.stderr)
        print(run.stdout + run.stderr)
        self.assertEqual(run.returncode, 0, run.stdout[-2000:] + run.stderr[-2000:])
        pngs = sorted(f for f in os.listdir(shots) if f.endswith(".png"))
        self.assertGreaterEqual(len(pngs), 10, pngs)
        self.assertEqual(fe.stop(), 0)
        backend.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
