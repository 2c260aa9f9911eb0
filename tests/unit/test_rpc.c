/* Unit tests for lib/jsonx.c and lib/rpc.c: validation of RPC requests. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonx.h"
#include "mq.h"
#include "rpc.h"

int	main(void);

static int
parses(const char *body, size_t len, const char *want_err)
{
	json_t		*root, *data;
	const char	*action;
	char		 err[256] = "";
	int		 rc;

	rc = rpc_request_parse(body, len, &root, &action, &data, err,
	    sizeof(err));
	if (rc == 0)
		json_decref(root);
	if (want_err != NULL && strstr(err, want_err) == NULL) {
		fprintf(stderr, "  body %.40s: error \"%s\", want \"%s\"\n",
		    body, err, want_err);
		return -2;
	}
	return rc;
}

#define P(s, e)	parses(s, strlen(s), e)

static void
test_requests(void)
{
	char	*big;

	CHECK(P("{\"action\":\"GETHASH\",\"data\":{\"email\":\"a@b\"}}",
	    NULL) == 0);
	CHECK(P("", "malformed JSON") == -1);
	CHECK(P("not json", "malformed JSON") == -1);
	CHECK(P("[1,2]", "not an object") == -1);
	CHECK(P("\"s\"", "not an object") == -1);
	CHECK(P("{\"data\":{}}", "missing field 'action'") == -1);
	CHECK(P("{\"action\":5,\"data\":{}}", "must be a string") == -1);
	CHECK(P("{\"action\":\"\",\"data\":{}}", "must not be empty") == -1);
	CHECK(P("{\"action\":\"X\"}", "missing field 'data'") == -1);
	CHECK(P("{\"action\":\"X\",\"data\":[]}", "must be an object") == -1);
	CHECK(P("{\"action\":\"X\",\"data\":{}} trailing", "malformed") == -1);
	CHECK(P("{\"action\":\"X\",\"action\":\"Y\",\"data\":{}}",
	    "malformed") == -1);
	/* Invalid UTF-8 and NUL escapes are refused by the parser. */
	CHECK(P("{\"action\":\"\xff\xfe\",\"data\":{}}", "malformed") == -1);
	CHECK(P("{\"action\":\"a\\u0000b\",\"data\":{}}", "malformed") == -1);
	CHECK(parses("{\"action\":\"X\",\0\"data\":{}}", 24, "malformed")
	    == -1);

	big = malloc(RPC_MAX_BODY + 2);
	memset(big, ' ', RPC_MAX_BODY + 1);
	big[RPC_MAX_BODY + 1] = '\0';
	CHECK(P(big, "larger than") == -1);
	free(big);
}

static void
test_fields(void)
{
	json_t		*obj = json_pack("{sssiss}", "email", "a@b", "n", 3,
	    "long", "abcdef");
	const char	*s;
	char		 err[128];

	CHECK(jsonx_get_string(obj, "email", 10, &s, err, sizeof(err)) == 0);
	CHECK(strcmp(s, "a@b") == 0);
	CHECK(jsonx_get_string(obj, "n", 10, &s, err, sizeof(err)) == -1);
	CHECK(jsonx_get_string(obj, "none", 10, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "missing field 'none'") != NULL);
	CHECK(jsonx_get_string(obj, "long", 5, &s, err, sizeof(err)) == -1);
	CHECK(strstr(err, "longer than 5") != NULL);
	json_decref(obj);
}

static void
test_encode(void)
{
	json_t		*data = json_pack("{ss}", "email", "x@y");
	char		*body = rpc_request_encode("GETHASH", data);
	json_t		*root, *d;
	const char	*action;
	char		 err[64];

	CHECK(rpc_request_parse(body, strlen(body), &root, &action, &d, err,
	    sizeof(err)) == 0);
	CHECK(strcmp(action, "GETHASH") == 0);
	CHECK(json_equal(d, data));
	json_decref(root);
	json_decref(data);
	free(body);
}

static int
queue_ok(const char *name, const char *type)
{
	struct rpc_queue_config	 q = { name, type };
	char			 err[128] = "";
	int			 rc = rpc_queue_config_check(&q, err, sizeof(err));

	CHECK(rc == 0 ? err[0] == '\0' : err[0] != '\0');
	return rc == 0;
}

static void
test_queue_config(void)
{
	struct rpc_queue_config	 book = { NULL, NULL };
	struct rpc_queue_config	 quorum = { "rpc", "quorum" };
	struct mq_queue_options	 o;
	char			 longname[300];

	CHECK(queue_ok(NULL, NULL));
	CHECK(queue_ok("request", "classic"));
	CHECK(queue_ok("requests", "quorum"));
	CHECK(!queue_ok("request", "durable"));
	CHECK(!queue_ok("request", "Quorum"));
	CHECK(!queue_ok("", "classic"));
	CHECK(!queue_ok("amq.rabbitmq.reply-to", "classic"));
	CHECK(!queue_ok("two words", "classic"));
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!queue_ok(longname, "classic"));
	longname[RPC_QUEUE_NAME_MAX] = '\0';
	CHECK(queue_ok(longname, "classic"));

	/* The default is the book's queue_declare(queue='request'). */
	CHECK(strcmp(rpc_queue_options(&book, &o), "request") == 0);
	CHECK(o.durable == 0 && o.exclusive == 0 && o.auto_delete == 0);
	CHECK(o.queue_type == NULL && o.message_ttl_ms == 0 &&
	    o.expires_ms == 0);
	CHECK(strcmp(rpc_queue_options(&quorum, &o), "rpc") == 0);
	CHECK(o.durable == 1 && o.queue_type != NULL &&
	    strcmp(o.queue_type, "quorum") == 0);
}

int
main(void)
{
	test_requests();
	test_fields();
	test_encode();
	test_queue_config();
	return check_report("test_rpc");
}
