#!/bin/sh
# scripts/rabbitmq-users.sh — Parley's RabbitMQ users, one per daemon type, each with the
# least permissions it needs (docs/threat-model.md explains every regex).
# Idempotent: creates missing users, (re)sets passwords and permissions of existing ones.
#
# `rabbitmq-users.sh --print` only prints "user<TAB>configure<TAB>write<TAB>read" lines
# (the tests compare the broker's and Kubernetes' permissions with them).
#
# Environment:
#   PARLEY_MQ_FRONT_PASS, PARLEY_MQ_BACK_PASS, PARLEY_MQ_CHAT_PASS   required
#   PARLEY_MQ_VHOST     virtual host (default /)
#   RABBITMQCTL         the rabbitmqctl command, split on spaces (default rabbitmqctl)
# Used by docker-compose.yml (messaging's health check runs it once the node is up)
# and by the test harness (tests/harness/parley_harness.py). Kubernetes loads the same
# users from k8s/30-rabbitmq.yaml's definitions (tests/k8s checks they agree).
# Passwords are command-line arguments of rabbitmqctl, visible only inside the RabbitMQ
# container (or to the harness's own user) for the second the call lasts.
set -eu
ctl=${RABBITMQCTL:-rabbitmqctl}
vhost=${PARLEY_MQ_VHOST:-/}

# The RPC queue (RPC_QUEUE, default "request", the textbook's); a renamed queue needs
# its name here.
rpc='request'

print=
[ "${1:-}" = --print ] && print=1

user() { # name password configure write read
	if [ -n "$print" ]; then
		printf '%s\t%s\t%s\t%s\n' "$1" "$3" "$4" "$5"
		return
	fi
	if [ -z "$2" ]; then
		echo "rabbitmq-users.sh: no password for $1 (PARLEY_MQ_*_PASS)" >&2
		exit 1
	fi
	# The password as an argument: Debian's rabbitmqctl wrapper (su) does not pass
	# standard input on, and rabbitmqctl then waits for it forever.
	if ! $ctl -q add_user "$1" "$2" >/dev/null 2>&1; then
		$ctl -q change_password "$1" "$2" >/dev/null
	fi
	$ctl -q set_permissions -p "$vhost" "$1" "$3" "$4" "$5" >/dev/null
}

# Front end (and the book's front end): declares the RPC queue and its exclusive,
# server-named reply queues, publishes to the default exchange, reads only its reply
# queues (direct reply-to needs no permission). Cannot read the RPC queue.
user parley-front "${PARLEY_MQ_FRONT_PASS:-${print:+-}}" \
	"^($rpc|amq\\.gen-.*)\$" \
	'^amq\.default$' \
	'^amq\.gen-.*$'

# Back end: declares and consumes the RPC queue and the chat servers' queue, binds the
# latter to parley.chat-rpc, answers through the default exchange, publishes account
# events on parley.events.
user parley-back "${PARLEY_MQ_BACK_PASS:-${print:+-}}" \
	"^($rpc|chat-request|parley\\.chat-rpc|parley\\.events)\$" \
	'^(amq\.default|chat-request|parley\.events)$' \
	"^($rpc|chat-request|parley\\.chat-rpc)\$"

# Chat servers: their bus (exchange parley.chat, queues parley.chat.<replica>), RPCs only
# through parley.chat-rpc (never the default exchange, so never the RPC queue), account
# events read from parley.events into their own queues.
user parley-chat "${PARLEY_MQ_CHAT_PASS:-${print:+-}}" \
	'^parley\.chat(\..*)?$' \
	'^(parley\.chat-rpc|parley\.chat(\..*)?)$' \
	'^(parley\.chat(\..*)?|parley\.events)$'
