#!/usr/bin/env bash
# ctest k8s-db-replication: run the PostgreSQL pods of k8s/40-postgresql.yaml -- their own
# start-up scripts, commands, environment, volumes, users and probes, extracted from the
# manifests by pod-extract.mjs -- as containers on a Docker network where the Services'
# names resolve (db-rw, db-r, ...), and check streaming replication end to end:
#   1. the primary initialises once: replication role, schema from db/ (ConfigMap
#      db-schema), the back end's least-privilege role;
#   2. a standby clones it through db-rw with pg_basebackup (init container) and streams;
#   3. a row written through db-rw as the back end's role appears on the standby (db-r),
#      which is read-only and in recovery; the back end's role cannot run DDL;
#   4. restarting the primary does not re-run the initialisation, restarting the standby
#      does not re-clone, and replication resumes;
#   5. the documented promotion (pg_promote on the standby) makes it writable, and a
#      restart keeps it a primary.
# The official postgres image cannot be pulled here, so the pods run in the PostgreSQL
# stand-in built from Debian packages (tests/docker/standins). Skips (77) when no Docker
# engine can be started. Everything it creates carries a per-run label and is removed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${PARLEY_ROOT:-$(cd "$here/../.." && pwd)}"
export PARLEY_ROOT="$root"
image="${POSTGRES_STANDIN:-parley-test/postgres:local}"
run="k8sdb$$"
label="parley.test.run=$run"
net="parley-k8s-db-$$"          # the network; containers are reachable by Service names
work="$(mktemp -d)"
failures=0 passes=0
log() { echo "db-replication: $*" >&2; }
ok() { echo "ok   $*"; passes=$((passes + 1)); }
bad() { echo "FAIL $*"; failures=$((failures + 1)); }

cleanup() {
  local ids
  ids="$(docker ps -aq --filter "label=$label" 2>/dev/null)"
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  ids="$(docker volume ls -q --filter "label=$label" 2>/dev/null)"
  [ -n "$ids" ] && docker volume rm -f $ids >/dev/null 2>&1
  rm -rf "$work"
  "$root/tests/docker/engine.sh" release $$ >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites -------------------------------------------------------------------
for f in tests/docker/engine.sh tests/docker/standins/build.sh; do
  [ -x "$root/$f" ] || { echo "SKIP: $f is missing (owned by the containers work)"; exit 77; }
done
"$root/tests/docker/engine.sh" start $$ >&2
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: no Docker engine can be started here"; exit 77; fi
[ "$rc" = 0 ] || { echo "FAIL: tests/docker/engine.sh start exited $rc"; exit 1; }
POSTGRES_STANDIN="$image" timeout 1200 "$root/tests/docker/standins/build.sh" postgres >&2
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: the PostgreSQL stand-in image cannot be built (no base image)"; exit 77; fi
[ "$rc" = 0 ] || { echo "FAIL: building $image failed (exit $rc)"; exit 1; }
. "$here/node-deps.sh" && k8s_node_deps || { echo "FAIL: node packages"; exit 1; }

# --- mini kubelet ---------------------------------------------------------------------
extract() {  # extract STATEFULSET -> $work/STATEFULSET/pod.sh
  node "$here/pod-extract.mjs" "$1" "$work/$1" "$run-$1" || { echo "FAIL: pod-extract $1"; exit 1; }
}

# start_pod STATEFULSET POD_NAME: create volumes, run init containers to completion, then
# start the main container (detached) with the pod's hostname and Service aliases.
start_pod() {
  local sts=$1 pod=$2 i n alias_args=() a v
  # shellcheck disable=SC1090
  . "$work/$sts/pod.sh"
  for v in "${POD_VOLUMES[@]}"; do
    docker volume inspect "$v" >/dev/null 2>&1 || docker volume create --label "$label" "$v" >/dev/null
  done
  for a in "${POD_ALIASES[@]}"; do alias_args+=(--network-alias "$a"); done
  n=${#POD_INIT_NAMES[@]}
  for ((i = 0; i < n; i++)); do
    local -n iargs="POD_INIT_${i}_ARGS" icmd="POD_INIT_${i}_CMD"
    log "$pod: init container ${POD_INIT_NAMES[$i]}"
    if ! timeout 300 docker run --rm --name "$run-$pod-init-$i" --label "$label" \
        --network "$net" --hostname "$pod" "${POD_USER_ARGS[@]}" "${iargs[@]}" \
        "$image" "${icmd[@]}" >"$work/$pod-init-$i.log" 2>&1; then
      cat "$work/$pod-init-$i.log" >&2
      return 1
    fi
    cat "$work/$pod-init-$i.log" >&2
  done
  docker run -d --name "$run-$pod" --label "$label" --network "$net" --hostname "$pod" \
    "${alias_args[@]}" --stop-timeout "$POD_GRACE" "${POD_USER_ARGS[@]}" "${POD_MAIN_ARGS[@]}" \
    "$image" "${POD_MAIN_CMD[@]}" >/dev/null
}

# wait_ready STATEFULSET POD_NAME SECONDS: the pod's own readiness probe, with a deadline.
wait_ready() {
  local sts=$1 pod=$2 limit=$3 deadline
  # shellcheck disable=SC1090
  . "$work/$sts/pod.sh"
  deadline=$(( $(date +%s) + limit ))
  until docker exec "$run-$pod" "${POD_READY_CMD[@]}" >/dev/null 2>&1; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$run-$pod" 2>/dev/null)" != true ]; then
      docker logs "$run-$pod" 2>&1 | tail -30 >&2; return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      docker logs "$run-$pod" 2>&1 | tail -30 >&2; return 1
    fi
    sleep 1
  done
}

# stop_pod POD_NAME: the pod's preStop hook, then SIGTERM (like the kubelet).
stop_pod() {
  local sts=$1 pod=$2
  # shellcheck disable=SC1090
  . "$work/$sts/pod.sh"
  [ "${#POD_PRESTOP_CMD[@]}" -gt 0 ] &&
    timeout "$POD_GRACE" docker exec "$run-$pod" "${POD_PRESTOP_CMD[@]}" >/dev/null 2>&1
  docker stop -t "$POD_GRACE" "$run-$pod" >/dev/null
  docker rm "$run-$pod" >/dev/null
}

# sql URL QUERY: run psql as a client container on the network (like the back end).
sql() {
  timeout 60 docker run --rm --label "$label" --network "$net" --entrypoint psql "$image" \
    "$1" -v ON_ERROR_STOP=1 -XAtq -c "$2" 2>&1
}

# poll SECONDS WANT URL QUERY: until the query prints WANT.
poll() {
  local limit=$1 want=$2 url=$3 q=$4 deadline got
  deadline=$(( $(date +%s) + limit ))
  while :; do
    got="$(sql "$url" "$q")"
    [ "$got" = "$want" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && { log "waited ${limit}s for '$want', last answer: $got"; return 1; }
    sleep 1
  done
}

envval() { sed -n "s/^$2=//p" "$work/$1/main.env"; }

# --- the test -------------------------------------------------------------------------
extract db-primary
extract db-standby
docker network create --label "$label" "$net" >/dev/null || { echo "FAIL: docker network create"; exit 1; }
db="$(envval db-primary POSTGRES_DB)"
app="postgresql://$(envval db-primary APP_USER):$(envval db-primary APP_PASSWORD)@db-rw:5432/$db?connect_timeout=5"
app_r="${app/@db-rw:/@db-r:}"

if start_pod db-primary db-primary-0 && wait_ready db-primary db-primary-0 180; then
  ok "primary starts and initialises (readiness probe passes)"
else
  bad "primary did not become ready"; exit 1
fi
tables="$(sql "$app" "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")"
[[ ",$tables," == *",users,"* ]] && ok "schema from db/ applied (tables: $tables)" || bad "schema missing through db-rw: $tables"

if start_pod db-standby db-standby-0 && wait_ready db-standby db-standby-0 180; then
  ok "standby clones the primary through db-rw and starts"
else
  bad "standby did not become ready"; exit 1
fi
[ "$(sql "$app_r" "SELECT pg_is_in_recovery()")" = t ] && ok "db-r is a hot standby (in recovery)" || bad "db-r is not in recovery"

email="k8s-repl-$$@example.test"
out="$(sql "$app" "INSERT INTO users (email, hash) VALUES ('$email', 'x')")"
[ -z "$out" ] && ok "back end's role writes through db-rw" || bad "insert through db-rw: $out"
poll 60 1 "$app_r" "SELECT count(*) FROM users WHERE email = '$email'" &&
  ok "row written through db-rw appears on the standby (db-r)" || bad "row did not replicate to db-r"
out="$(sql "$app_r" "INSERT INTO users (email, hash) VALUES ('ro-$email', 'x')")"
[[ "$out" == *"read-only transaction"* ]] && ok "db-r refuses writes" || bad "write through db-r: $out"
out="$(sql "$app" "CREATE TABLE k8s_test_ddl (x int)")"
[[ "$out" == *"permission denied"* ]] && ok "back end's role cannot run DDL" || bad "DDL as the back end's role: $out"
state="$(docker exec "$run-db-primary-0" psql -XAtq -U "$(envval db-primary POSTGRES_USER)" -d postgres \
  -c "SELECT application_name || ':' || state FROM pg_stat_replication" 2>&1)"
[ "$state" = "db_standby_0:streaming" ] && ok "primary streams to db_standby_0" || bad "pg_stat_replication: $state"

# Restarts: no re-initialisation of the primary, no re-clone of the standby.
stop_pod db-primary db-primary-0
if start_pod db-primary db-primary-0 && wait_ready db-primary db-primary-0 120; then
  if docker logs "$run-db-primary-0" 2>&1 | grep -q "primary-init\|initdb in"; then
    bad "primary re-ran its initialisation on restart"
  else
    ok "primary restarts from its volume without re-initialising"
  fi
else
  bad "primary did not come back"
fi
stop_pod db-standby db-standby-0
if start_pod db-standby db-standby-0 && wait_ready db-standby db-standby-0 120; then
  grep -q "already initialised" "$work/db-standby-0-init-0.log" &&
    ok "standby restarts without cloning again" || bad "standby init did not recognise its data"
else
  bad "standby did not come back"
fi
out="$(sql "$app" "INSERT INTO users (email, hash) VALUES ('2-$email', 'x')")"
poll 60 1 "$app_r" "SELECT count(*) FROM users WHERE email = '2-$email'" &&
  ok "replication resumes after both restarts" || bad "row after restarts did not replicate ($out)"

# Promotion, as documented in docs/kubernetes.md.
out="$(docker exec "$run-db-standby-0" psql -XAtq -U "$(envval db-primary POSTGRES_USER)" -d postgres \
  -c "SELECT pg_promote(wait => true, wait_seconds => 60)" 2>&1)"
[ "$out" = t ] && ok "standby promotes (pg_promote)" || bad "pg_promote: $out"
stop_pod db-primary db-primary-0      # the old primary is gone (its node was lost)
out="$(sql "$app_r" "INSERT INTO users (email, hash) VALUES ('3-$email', 'x') RETURNING 'inserted'")"
[ "$out" = inserted ] && ok "promoted standby accepts the back end's writes" || bad "write after promotion: $out"
stop_pod db-standby db-standby-0
if start_pod db-standby db-standby-0 && wait_ready db-standby db-standby-0 120 &&
   [ "$(sql "$app_r" "SELECT pg_is_in_recovery()")" = f ]; then
  ok "promoted standby stays a primary across a restart"
else
  bad "promoted standby went back into recovery after a restart"
fi

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
