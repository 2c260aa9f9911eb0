#!/usr/bin/env bash
# ctest k8s-manifests: offline validation of k8s/ (see validate.mjs), including the
# self-test that proves each check fires.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/node-deps.sh"
k8s_node_deps
exec node "$k8s_test_dir/validate.mjs" --self-test
