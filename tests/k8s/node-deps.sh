#!/usr/bin/env bash
# Source me: installs tests/k8s/node_modules from the committed package-lock.json when it is
# missing or stale (npm ci), under a lock so that tests running in parallel do not race.
k8s_test_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_node_deps() {
  command -v node >/dev/null || { echo "tests/k8s: node is not installed" >&2; return 1; }
  command -v npm >/dev/null || { echo "tests/k8s: npm is not installed" >&2; return 1; }
  local stamp="$k8s_test_dir/node_modules/.package-lock.json"
  (
    flock -w 300 9 || { echo "tests/k8s: timed out waiting for the npm lock" >&2; exit 1; }
    if [ ! -f "$stamp" ] || [ "$k8s_test_dir/package-lock.json" -nt "$stamp" ]; then
      echo "tests/k8s: installing node packages (npm ci)" >&2
      cd "$k8s_test_dir" && npm ci --no-audit --no-fund --loglevel=error >&2
    fi
  ) 9>"${TMPDIR:-/tmp}/parley-k8s-npm.lock"
}
