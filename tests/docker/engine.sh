#!/bin/bash
# tests/docker/engine.sh — make sure a Docker engine answers on this machine, starting
# one in the background when none runs. Usable on its own and by any test.
#
# Usage:
#   tests/docker/engine.sh start [LEASE_PID]   (default command)
#       Installs docker.io + docker-compose with apt-get when missing, reuses an engine
#       that already answers `docker info`, else starts `dockerd` in the background
#       (log /var/log/parley-dockerd.log, pid file /run/parley-dockerd.pid) and waits for
#       its socket (deadline ENGINE_TIMEOUT, default 90 s). With LEASE_PID the caller
#       registers itself as a user of the engine (see release). Prints one line:
#         engine: started dockerd 20.10.24 (pid 1234)    or    engine: reused ...
#   tests/docker/engine.sh release LEASE_PID
#       Drops that lease; when no live lease remains and the engine was started by this
#       script, stops it (SIGTERM, then waits). An engine this script did not start is
#       never stopped. Use it in a trap: `trap 'tests/docker/engine.sh release $$' EXIT`.
#   tests/docker/engine.sh stop      stops the engine this script started (ignores leases)
#   tests/docker/engine.sh status    exit 0 iff an engine answers
# Exit status of start: 0 ready; 77 (ctest's skip code) when no engine can be had here
# (not root, apt fails, dockerd dies), with the reason on stderr.
# Images, volumes and build cache live in /var/lib/docker and survive stop/start.
set -uo pipefail

PIDFILE=/run/parley-dockerd.pid
LOG=/var/log/parley-dockerd.log
LEASES=/run/parley-dockerd.leases
LOCK=/run/parley-dockerd.lock
TIMEOUT=${ENGINE_TIMEOUT:-90}

skip() { echo "engine: $*" >&2; exit 77; }
answers() { timeout 10 docker info >/dev/null 2>&1; }
version() { docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'; }
ours_alive() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

install_missing() {
	local need=()
	command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
	command -v docker >/dev/null 2>&1 || need+=(docker.io)
	command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 ||
	    need+=(docker-compose)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || skip "missing ${need[*]} and not root to install them"
	export DEBIAN_FRONTEND=noninteractive
	{ timeout 600 apt-get update -qq &&
	  timeout 900 apt-get install -y -qq --no-install-recommends "${need[@]}" iptables; } \
	    >/tmp/parley-engine-apt.log 2>&1 ||
	    skip "apt-get install ${need[*]} failed (see /tmp/parley-engine-apt.log)"
}

add_lease() { [ -n "${1:-}" ] && mkdir -p "$LEASES" && : >"$LEASES/$1"; return 0; }

live_leases() {
	local f n=0
	for f in "$LEASES"/*; do
		[ -e "$f" ] || continue
		if kill -0 "$(basename "$f")" 2>/dev/null; then n=$((n + 1)); else rm -f "$f"; fi
	done
	echo $n
}

stop_ours() {
	ours_alive || { rm -f "$PIDFILE"; return 0; }
	local pid; pid=$(cat "$PIDFILE")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$PIDFILE"
	echo "engine: stopped dockerd (pid $pid)"
}

start() {
	install_missing
	exec 9>"$LOCK"; flock -w "$TIMEOUT" 9 || skip "timed out waiting for $LOCK"
	if answers; then
		add_lease "${1:-}"
		echo "engine: reused dockerd $(version)"
		return 0
	fi
	[ "$(id -u)" = 0 ] || skip "no engine answers and starting dockerd needs root"
	command -v dockerd >/dev/null 2>&1 || skip "dockerd not installed"
	if ours_alive; then            # ours but not answering yet: wait for it below
		:
	else
		# A stale socket or pid from a dead engine would make dockerd refuse to start.
		[ -S /var/run/docker.sock ] && rm -f /var/run/docker.sock
		[ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null &&
		    rm -f /var/run/docker.pid
		sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || true
		setsid dockerd --host unix:///var/run/docker.sock >>"$LOG" 2>&1 </dev/null 9>&- &
		echo $! >"$PIDFILE"
	fi
	local deadline=$(( $(date +%s) + TIMEOUT ))
	until answers; do
		if ! ours_alive; then
			tail -5 "$LOG" >&2
			rm -f "$PIDFILE"
			skip "dockerd exited during start-up (log: $LOG)"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || { stop_ours >&2; skip "dockerd not ready after ${TIMEOUT}s (log: $LOG)"; }
		sleep 0.5
	done
	add_lease "${1:-}"
	echo "engine: started dockerd $(version) (pid $(cat "$PIDFILE"), log $LOG)"
}

release() {
	[ -n "${1:-}" ] && rm -f "$LEASES/$1"
	exec 9>"$LOCK"; flock -w 60 9 || return 0
	if [ "$(live_leases)" -eq 0 ] && ours_alive; then
		stop_ours
	fi
}

case "${1:-start}" in
start)   start "${2:-}" ;;
release) release "${2:-}" ;;
stop)    stop_ours ;;
status)  answers ;;
*)       echo "usage: $0 [start [LEASE_PID] | release LEASE_PID | stop | status]" >&2; exit 2 ;;
esac
