#!/bin/bash
# Entry point of the PostgreSQL stand-in: the subset of the official postgres image's
# docker-entrypoint.sh that Parley's tests (and the Kubernetes replication test) rely on.
#   POSTGRES_PASSWORD   required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER       superuser name (default postgres)
#   POSTGRES_DB         database created at init (default $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), PGDATA
# First start (no $PGDATA/PG_VERSION): initdb, a temporary server on the Unix socket only
# (so TCP health checks stay red meanwhile), /docker-entrypoint-initdb.d/* in lexical
# order (*.sh sourced or run, *.sql and *.sql.gz through psql -v ON_ERROR_STOP=1), stop,
# then exec the real server listening on all addresses. Arguments as in the official
# image: `postgres -c key=value ...`, a first argument starting with '-' means postgres.
set -Eeo pipefail

[ "${1:0:1}" = '-' ] && set -- postgres "$@"

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 0700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	: "${POSTGRES_USER:=postgres}"
	: "${POSTGRES_DB:=$POSTGRES_USER}"
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
		echo '       (set POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one)' >&2
		exit 1
	fi
	echo "entrypoint: initdb in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)" >&2
	pwfile=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
	# shellcheck disable=SC2086
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" \
	    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
	    ${POSTGRES_INITDB_ARGS:-} >/dev/null
	rm -f "$pwfile"
	{
		echo "listen_addresses = '*'"
		echo "unix_socket_directories = '/var/run/postgresql'"
	} >>"$PGDATA/postgresql.conf"
	echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
	if [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		# The replication pseudo-database is not matched by "all" (Kubernetes standbys).
		echo "host replication all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
	fi

	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -t 60 start >/dev/null
	export PGPASSWORD="${POSTGRES_PASSWORD:-}"
	psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" -q <<-'SQL'
			CREATE DATABASE :"db" ;
		SQL
	fi
	psql+=(--dbname "$POSTGRES_DB")
	shopt -s nullglob
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			if [ -x "$f" ]; then echo "entrypoint: running $f" >&2; "$f"
			else echo "entrypoint: sourcing $f" >&2; . "$f"; fi ;;
		*.sql)    echo "entrypoint: running $f" >&2; "${psql[@]}" -q -f "$f" ;;
		*.sql.gz) echo "entrypoint: running $f" >&2; gunzip -c "$f" | "${psql[@]}" -q ;;
		*)        echo "entrypoint: ignoring $f" >&2 ;;
		esac
	done
	unset PGPASSWORD
	pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
	echo 'entrypoint: init complete; ready for start up' >&2
fi

exec "$@"
