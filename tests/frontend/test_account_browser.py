"""The account pages end to end in Chromium (tests/frontend/account.mjs):
register, change the password, two sessions, end the other one, delete the
account, recover another through an operator link.  Screenshots go to
tests/artifacts/frontend_account_browser/."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402
from test_browser import HERE, node_ready  # noqa: E402

TEST = "frontend_account_browser"


class AccountBrowser(unittest.TestCase):
    def test_account_flows_in_chromium(self):
        if not node_ready():
            raise unittest.SkipTest("node or /usr/bin/chromium missing")
        services = h.shared_services()
        backend = fc.backend(services, test=TEST)
        fe = fc.frontend(services, test=TEST)
        shots = h.artifact_dir(TEST)
        for f in os.listdir(shots):
            if f.endswith(".png"):
                os.unlink(os.path.join(shots, f))
        env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{fe.port}", ARTIFACTS=shots,
                   BACKEND_BIN=os.path.join(h.BIN, "back-end"),
                   DATABASE_URL=services.database_url)
        run = subprocess.run(["node", os.path.join(HERE, "account.mjs")], env=env,
                             capture_output=True, text=True, timeout=240)
        with open(os.path.join(shots, "browser.log"), "w") as f:
            f.write(run.stdout + run.stderr)
        print(run.stdout + run.stderr)
        self.assertEqual(run.returncode, 0, run.stdout[-2000:] + run.stderr[-2000:])
        pngs = sorted(f for f in os.listdir(shots) if f.endswith(".png"))
        self.assertGreaterEqual(len(pngs), 14, pngs)
        self.assertEqual(fe.stop(), 0)
        backend.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
