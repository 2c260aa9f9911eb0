/*
 * Fuzz target: the back end's action handlers against a real PostgreSQL.
 *
 * Each input is an RPC request body as the back end receives it
 * ({"action": A, "data": {...}}); it goes through rpc_request_parse and
 * action_dispatch, so every handler's validation and SQL runs.  The
 * database comes from DATABASE_URL and must have the db/ schema applied: use a
 * scratch database (tests/fuzz_run.py makes one), since inputs write rows.
 * Without DATABASE_URL the target skips (exit 77) with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "history_limits.h"
#include "log.h"
#include "rpc.h"
#include "rpc_server.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct db *db;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct history_limits limits = { 1000, 1000, 30L * 86400 };
	const char	*url = getenv("DATABASE_URL");

	(void)argc;
	(void)argv;
	if (url == NULL || *url == '\0') {
		fprintf(stderr, "fuzz_actions: DATABASE_URL is not set: skipped "
		    "(point it at a scratch database with the db/ schema; "
		    "tests/fuzz_run.py --database does this)\n");
		exit(77);
	}
	/* Handlers log refusals at info; thousands per second drown output. */
	log_init("fuzz_actions", "warn");
	history_limits_init(&limits);
	db = db_open("fuzz", url, url);
	db_maintain(db);
	if (!db_ready(db)) {
		fprintf(stderr, "fuzz_actions: cannot connect to DATABASE_URL\n");
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rpc_origin front = { "request", "", NULL };
	static const struct rpc_origin chat = { RPC_CHAT_QUEUE,
	    RPC_CHAT_EXCHANGE, NULL };
	json_t		*root, *args, *reply;
	const char	*action;
	char		 err[256];

	if (size > RPC_MAX_BODY || rpc_request_parse(data, size, &root,
	    &action, &args, err, sizeof(err)) == -1)
		return 0;
	/* The origin each kind of action is answered from, so every handler is
	 * reached; a refused caller is back-end/action.c's first check. */
	reply = action_dispatch(db, action, args,
	    strncmp(action, "CHAT_", 5) == 0 ? &chat : &front);
	if (!json_is_boolean(json_object_get(reply, "success")))
		abort();	/* docs/backend.md: every reply has a boolean success */
	json_decref(reply);
	json_decref(root);
	return 0;
}
