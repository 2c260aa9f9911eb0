#!/usr/bin/env bash
# ctest k8s-schema-sync (see schema-sync.mjs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/node-deps.sh"
k8s_node_deps
exec node "$k8s_test_dir/schema-sync.mjs"
