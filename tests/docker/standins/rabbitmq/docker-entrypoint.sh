#!/bin/bash
# Entry point of the RabbitMQ stand-in: the part of the official rabbitmq image's
# contract that Parley relies on.
#   RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS  the account created on first boot,
#       tagged administrator with full permissions on the default vhost; since a default
#       user is configured RabbitMQ never creates guest (and guest is deleted if an old
#       data directory has one), so guest/guest is refused everywhere.
#   RABBITMQ_DEFAULT_VHOST (default /), RABBITMQ_ERLANG_COOKIE (written to
#       $HOME/.erlang.cookie, mode 600, for clustering and the CLI tools).
# The management plugin is enabled in the image (UI and HTTP API on 15672).
set -Eeo pipefail

if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
	chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
	exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = rabbitmq-server ]; then
	if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
		umask 077
		rm -f "$HOME/.erlang.cookie"
		printf '%s' "$RABBITMQ_ERLANG_COOKIE" >"$HOME/.erlang.cookie"
		chmod 600 "$HOME/.erlang.cookie"
		umask 022
	fi
	conf=/etc/rabbitmq/conf.d/20-default-user.conf
	if [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then
		vhost=${RABBITMQ_DEFAULT_VHOST:-/}
		{
			echo "default_user = $RABBITMQ_DEFAULT_USER"
			echo "default_pass = $RABBITMQ_DEFAULT_PASS"
			echo "default_vhost = $vhost"
			echo "default_user_tags.administrator = true"
			echo "default_permissions.configure = .*"
			echo "default_permissions.read = .*"
			echo "default_permissions.write = .*"
		} >"$conf"
		chmod 600 "$conf"
		# A data directory from an earlier boot without a default user may hold guest:
		# delete it once the node is up (a fresh node never creates it).
		if [ -n "$(ls -A "$HOME/mnesia" 2>/dev/null)" ]; then
			( rabbitmqctl -q await_startup --timeout 180 >/dev/null 2>&1 &&
			  rabbitmqctl -q delete_user guest >/dev/null 2>&1 ) &
		fi
	else
		echo "entrypoint: RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS not set; RabbitMQ creates guest/guest (loopback only)" >&2
		rm -f "$conf"
	fi
	# The server process replaces this shell (signals go straight to it).
	set -- /usr/lib/rabbitmq/bin/rabbitmq-server
fi

exec "$@"
