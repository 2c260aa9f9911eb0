/*
 * http.c — requests over libmicrohttpd: routing, body collection, CSRF and
 * session checks, suspension for asynchronous work, responses with the
 * security headers.  docs/frontend.md explains the threading.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "frontend.h"
#include "http.h"
#include "http_conn.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define HTTP_CONN_MEMORY	32768	/* per connection: headers + buffer */
#define HTTP_RPC_ACTIONS	32	/* actions with kept metric handles */
#define HTTP_FD_RESERVE		256	/* descriptors kept for all but HTTP */

/* The statuses the site answers with: their counters are kept per route. */
static const unsigned http_statuses[] = {
	200, 303, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503
};
#define HTTP_NSTATUSES	(sizeof(http_statuses) / sizeof(http_statuses[0]))

/* One back-end action's metric handles, made on its first call. */
struct http_rpc_metrics {
	const char		*action;
	struct histogram	*duration;
	struct counter		*result[RPC_UNAVAILABLE + 1];
};

struct http {
	struct MHD_Daemon	*daemon;
	struct frontend		*fe;
	struct http_conns	*conns;		/* the connection budget */
	atomic_int		 inflight;	/* struct req alive */
	struct http_site	 site;
	/* [route index, or nroutes for "other"][status index], filled on
	 * first use (the registry gives racing threads the same handle). */
	_Atomic(struct counter *) *counts;
	pthread_mutex_t		 rpc_lock;
	struct http_rpc_metrics	 rpc[HTTP_RPC_ACTIONS];
	size_t			 nrpc;
};


static const char http_csp[] = "default-src 'none'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

/* --- routing ------------------------------------------------------------ */

/* The route for path and method; *path_known tells 404 from 405. */
static const struct route *
http_route(const struct http *h, const char *path, const char *method,
    int *path_known)
{
	const struct route	*r = h->site.routes;
	size_t			 i;

	*path_known = 0;
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (i = 0; i < h->site.nroutes; i++) {
		if (strcmp(r[i].path, path) != 0)
			continue;
		*path_known = 1;
		if (strcmp(r[i].method, method) == 0)
			return &r[i];
	}
	return NULL;
}

static const char *
http_allow(const struct http *h, const char *path)
{
	const struct route	*r = h->site.routes;
	size_t			 i;
	int			 get = 0, post = 0;

	for (i = 0; i < h->site.nroutes; i++)
		if (strcmp(r[i].path, path) == 0) {
			get |= strcmp(r[i].method, "GET") == 0;
			post |= strcmp(r[i].method, "POST") == 0;
		}
	return get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : "POST";
}

/* --- responses ---------------------------------------------------------- */

enum step
http_error(struct req *req, unsigned status)
{
	return req->http->site.error(req, status);
}

void *
http_state(struct req *req, size_t size, void (*free_fn)(void *))
{
	if (req->hstate == NULL) {
		req->hstate = xcalloc(1, size);
		req->hstate_free = free_fn;
	}
	return req->hstate;
}

static void
http_resp_clear(struct resp *r)
{
	size_t i;

	if (!r->static_body)
		free(r->body);
	for (i = 0; i < r->ncookies; i++)
		free(r->cookies[i]);
	memset(r, 0, sizeof(*r));
}

enum step
http_html(struct req *req, unsigned status, char *body)
{
	req->resp.status = status;
	if (!req->resp.static_body)
		free(req->resp.body);
	req->resp.body = body;
	req->resp.len = strlen(body);
	req->resp.static_body = 0;
	req->resp.type = "text/html; charset=utf-8";
	return STEP_RESPOND;
}

enum step
http_redirect(struct req *req, const char *location)
{
	req->resp.status = MHD_HTTP_SEE_OTHER;
	req->resp.location = location;
	req->resp.body = (char *)"";
	req->resp.len = 0;
	req->resp.static_body = 1;
	req->resp.type = "text/plain; charset=utf-8";
	return STEP_RESPOND;
}

void
http_cookie(struct req *req, char *set_cookie)
{
	if (req->resp.ncookies == HTTP_COOKIES) {
		log_warnx("%s: too many cookies", __func__);
		free(set_cookie);
		return;
	}
	req->resp.cookies[req->resp.ncookies++] = set_cookie;
}

static void
http_count(struct req *req, unsigned status)
{
	struct http	*h = req->http;
	struct counter	*c = NULL;
	size_t		 r, s, slot = 0;
	char		 labels[96];

	r = req->route != NULL ? (size_t)(req->route - h->site.routes) :
	    h->site.nroutes;
	for (s = 0; s < HTTP_NSTATUSES; s++)
		if (http_statuses[s] == status) {
			slot = r * HTTP_NSTATUSES + s;
			c = atomic_load(&h->counts[slot]);
			break;
		}
	if (c == NULL) {
		snprintf(labels, sizeof(labels),
		    "route=\"%s\",status=\"%u\"", req->route_label, status);
		c = metrics_counter("parley_http_requests_total", labels,
		    "HTTP requests by route and status");
		if (s < HTTP_NSTATUSES)
			atomic_store(&h->counts[slot], c);
	}
	counter_add(c, 1);
}

static void
http_security_headers(struct req *req, struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy",
	    req->resp.csp != NULL ? req->resp.csp : http_csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy",
	    "same-origin");
	MHD_add_response_header(r, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=()");
	if (req->fe->cfg.cookie_secure)
		MHD_add_response_header(r, "Strict-Transport-Security",
		    "max-age=31536000");
}

static enum MHD_Result
http_send(struct req *req)
{
	struct resp		*rs = &req->resp;
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	char			 num[16];
	size_t			 i;

	if (rs->status == 0)
		http_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
	r = MHD_create_response_from_buffer(rs->len, rs->body,
	    rs->static_body ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	if (!rs->static_body)
		rs->body = NULL;	/* MHD frees it now */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    rs->cacheable ? "public, max-age=3600" : "no-store");
	http_security_headers(req, r);
	if (rs->location != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION,
		    rs->location);
	if (rs->allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->retry_after != 0) {
		snprintf(num, sizeof(num), "%u", rs->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	for (i = 0; i < rs->ncookies; i++)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE,
		    rs->cookies[i]);
	if (rs->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	req->state = REQ_RESPONDED;
	http_count(req, rs->status);
	ret = MHD_queue_response(req->conn, rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- asynchronous work -------------------------------------------------- */

/* A success:false reply, logged with its message (printable, bounded). */
static void
http_rpc_refused(const char *action, json_t *reply)
{
	const char	*msg = json_string_value(json_object_get(reply,
			    "message"));
	char		 clean[160];
	size_t		 i;

	for (i = 0; msg != NULL && msg[i] != '\0' && i < sizeof(clean) - 1;
	    i++)
		clean[i] = msg[i] >= ' ' && msg[i] < 0x7f && msg[i] != '"' ?
		    msg[i] : '?';
	clean[i] = '\0';
	log_ratelimited(LOG_LEVEL_WARN, 20, 10,
	    "rpc refused action=%s message=\"%s\"", action, clean);
}

static void
http_rpc_metrics_new(struct http_rpc_metrics *m, const char *action)
{
	char		 labels[80];
	enum rpc_status	 st;

	m->action = action;
	snprintf(labels, sizeof(labels), "action=\"%s\"", action);
	m->duration = metrics_histogram("parley_rpc_duration_seconds", labels,
	    "Back-end RPC latency by action", metrics_latency_bounds,
	    metrics_latency_nbounds);
	for (st = RPC_OK; st <= RPC_UNAVAILABLE; st++) {
		snprintf(labels, sizeof(labels),
		    "action=\"%s\",result=\"%s\"", action,
		    rpc_status_name(st));
		m->result[st] = metrics_counter("parley_rpc_requests_total",
		    labels, "Back-end RPCs by action and result");
	}
}

/* Count one call of action: its kept handles, made on the first call. */
static void
http_rpc_count(struct http *h, const char *action, enum rpc_status status,
    double seconds)
{
	struct http_rpc_metrics	 one, *m = NULL;
	size_t			 i;

	pthread_mutex_lock(&h->rpc_lock);
	for (i = 0; i < h->nrpc && m == NULL; i++)
		if (h->rpc[i].action == action ||
		    strcmp(h->rpc[i].action, action) == 0)
			m = &h->rpc[i];
	if (m == NULL && h->nrpc < HTTP_RPC_ACTIONS)
		http_rpc_metrics_new(m = &h->rpc[h->nrpc++], action);
	pthread_mutex_unlock(&h->rpc_lock);
	if (m == NULL)
		http_rpc_metrics_new(m = &one, action);	/* table full */
	histogram_observe(m->duration, seconds);
	counter_add(m->result[status], 1);
}

static void
http_rpc_done(enum rpc_status status, json_t *reply, void *arg)
{
	struct req	*req = arg;
	double		 seconds;

	/* On the RPC client's thread: store, then hand back to MHD. */
	seconds = (double)(clock_now_us() - req->rpc_start_us) / 1e6;
	http_rpc_count(req->http, req->rpc_action, status, seconds);
	if (status != RPC_OK)
		log_ratelimited(LOG_LEVEL_WARN, 10, 10,
		    "rpc failed action=%s status=%s ms=%.0f",
		    req->rpc_action, rpc_status_name(status), seconds * 1e3);
	else if (!json_is_true(json_object_get(reply, "success")))
		http_rpc_refused(req->rpc_action, reply);
	req->rpc_status = status;
	req->reply = reply != NULL ? json_incref(reply) : NULL;
	MHD_resume_connection(req->conn);
}

enum step
http_rpc(struct req *req, const char *action, json_t *data)
{
	struct frontend *fe = req->fe;

	json_decref(req->reply);
	req->reply = NULL;
	req->rpc_action = action;
	req->rpc_start_us = clock_now_us();
	req->state = REQ_SUSPENDED;
	MHD_suspend_connection(req->conn);
	if (rpc_call(fe->rpc, action, data, fe->cfg.rpc_timeout_ms,
	    http_rpc_done, req) == -1)
		http_rpc_done(RPC_UNAVAILABLE, NULL, req);
	json_decref(data);
	return STEP_WAIT;
}

json_t *
http_reply(struct req *req)
{
	return req->rpc_status == RPC_OK ? req->reply : NULL;
}

static void
http_hash_done(struct hasher_job *job, void *arg)
{
	struct req *req = arg;

	(void)job;
	MHD_resume_connection(req->conn);
}

enum step
http_hash(struct req *req)
{
	req->job.done = http_hash_done;
	req->job.arg = req;
	req->state = REQ_SUSPENDED;
	MHD_suspend_connection(req->conn);
	if (hasher_submit(req->fe->hasher, &req->job) == -1) {
		MHD_resume_connection(req->conn);
		req->state = REQ_RUNNING;
		log_ratelimited(LOG_LEVEL_WARN, 5, 10, "hasher queue full");
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	}
	return STEP_WAIT;
}

/* --- request set-up ----------------------------------------------------- */

static void
http_client_ip(struct req *req)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;
	const struct sockaddr_in6	*sin6;

	snprintf(req->ip, sizeof(req->ip), "unknown");
	ci = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, req->ip, sizeof(req->ip));
	else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* Dual stack: ::ffff:a.b.c.d is the IPv4 client a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    req->ip, sizeof(req->ip));
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, req->ip,
			    sizeof(req->ip));
	}
}

static const char *
http_header(struct req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* The csrf cookie we issued, or a new one when the page shows forms. */
static void
http_csrf_cookie(struct req *req)
{
	struct fe_config	*cfg = &req->fe->cfg;
	const char		*name = session_csrf_cookie_name(cfg->cookie_secure);

	if (form_cookie(http_header(req, MHD_HTTP_HEADER_COOKIE), name,
	    req->csrf_cookie, sizeof(req->csrf_cookie)) == -1 ||
	    !session_csrf_valid(&req->fe->keys, req->csrf_cookie)) {
		req->csrf_cookie[0] = '\0';
		if (!(req->route->flags & ROUTE_PAGE))
			return;
		session_csrf_new(&req->fe->keys, req->csrf_cookie);
		http_cookie(req, session_set_cookie(name, req->csrf_cookie,
		    cfg->cookie_secure));
	}
	session_csrf_token(&req->fe->keys, req->csrf_cookie, req->sid_hash,
	    req->csrf_token);
}

static int	http_session_cookie(struct req *);

static int
http_refuse(struct req *req, unsigned status)
{
	http_error(req, status);
	return -1;
}

static int
http_form_type(struct req *req)
{
	const char	*type = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	static const char urlenc[] = "application/x-www-form-urlencoded";

	return type != NULL && strncasecmp(type, urlenc, sizeof(urlenc) - 1)
	    == 0 && (type[sizeof(urlenc) - 1] == '\0' ||
	    type[sizeof(urlenc) - 1] == ';' || type[sizeof(urlenc) - 1] == ' ');
}

/* Checks every route's preconditions; -1: refused, response set. */
static int
http_prepare(struct req *req)
{
	const char *token;

	if (req->route->flags & ROUTE_SESSION)
		(void)http_session_cookie(req);	/* CSRF tokens name it */
	http_csrf_cookie(req);
	if (req->body_too_large)
		return http_refuse(req, MHD_HTTP_CONTENT_TOO_LARGE);
	if (!(req->route->flags & ROUTE_FORM))
		return 0;
	if (!http_form_type(req))
		return http_refuse(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
	if (form_parse(&req->form, req->body != NULL ? req->body : "",
	    req->body_len) == -1)
		return http_refuse(req, MHD_HTTP_BAD_REQUEST);
	token = form_get(&req->form, "csrf_token");
	if (!session_csrf_check(&req->fe->keys, req->csrf_cookie,
	    req->sid_hash, token)) {
		log_ratelimited(LOG_LEVEL_INFO, 10, 10,
		    "csrf rejected route=%s ip=%s reason=%s",
		    req->route->path, req->ip, req->csrf_cookie[0] == '\0' ?
		    "no-cookie" : token == NULL ? "no-token" : "mismatch");
		return http_refuse(req, MHD_HTTP_FORBIDDEN);
	}
	return 0;
}

/* The session cookie, if it has the shape of one we issued. */
static int
http_session_cookie(struct req *req)
{
	char id[SESSION_ID_LEN + 2];

	if (form_cookie(http_header(req, MHD_HTTP_HEADER_COOKIE),
	    session_cookie_name(req->fe->cfg.cookie_secure), id,
	    sizeof(id)) == -1 || !session_id_valid(id))
		return 0;
	session_id_hash(id, req->sid_hash);
	sodium_memzero(id, sizeof(id));
	return 1;
}

static int
http_session_result(struct req *req)
{
	json_t *reply = http_reply(req), *email;

	if (reply == NULL || !json_is_true(json_object_get(reply, "success")))
		return http_refuse(req, MHD_HTTP_SERVICE_UNAVAILABLE);
	email = json_object_get(reply, "email");
	if (json_is_string(email)) {
		req->user = xstrdup(json_string_value(email));
		return 0;
	}
	/* Expired or logged out elsewhere: drop the stale cookie (and give
	 * the page a token for being signed out). */
	req->sid_hash[0] = '\0';
	if (req->csrf_cookie[0] != '\0')
		session_csrf_token(&req->fe->keys, req->csrf_cookie, "",
		    req->csrf_token);
	http_cookie(req, session_set_cookie(session_cookie_name(
	    req->fe->cfg.cookie_secure), NULL, req->fe->cfg.cookie_secure));
	return 0;
}

static enum step
http_dispatch(struct req *req)
{
	switch (req->phase) {
	case PHASE_START:
		if (http_prepare(req) == -1)
			return STEP_RESPOND;
		if ((req->route->flags & ROUTE_SESSION) &&
		    http_session_cookie(req)) {
			req->phase = PHASE_SESSION;
			return http_rpc(req, "SESSION_GET",
			    json_pack("{ss}", "id_hash", req->sid_hash));
		}
		break;
	case PHASE_SESSION:
		if (http_session_result(req) == -1)
			return STEP_RESPOND;
		json_decref(req->reply);
		req->reply = NULL;
		break;
	case PHASE_HANDLER:
		return req->route->fn(req);
	}
	req->phase = PHASE_HANDLER;
	return req->route->fn(req);
}

/* --- libmicrohttpd callbacks ------------------------------------------- */

/* The framing headers of a request, counted: a proxy in front may read an
 * ambiguous request differently from us (request smuggling). */
struct http_framing {
	unsigned	 hosts, lengths, encodings;
	const char	*length;
	int		 lengths_differ;
};

static enum MHD_Result
http_framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct http_framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		f->hosts++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->encodings++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->lengths++ > 0 && strcmp(f->length, value) != 0)
			f->lengths_differ = 1;
		f->length = value;
	}
	return MHD_YES;
}

/* Both Content-Length and Transfer-Encoding, two different lengths, or
 * two Hosts: refused. */
static int
http_framing_ambiguous(struct MHD_Connection *conn)
{
	struct http_framing f;

	memset(&f, 0, sizeof(f));
	MHD_get_connection_values(conn, MHD_HEADER_KIND, http_framing_header,
	    &f);
	return f.hosts > 1 || f.lengths_differ ||
	    (f.lengths > 0 && f.encodings > 0);
}

static struct req *
http_req_new(struct http *h, struct MHD_Connection *conn, const char *url,
    const char *method)
{
	struct req			*req = xcalloc(1, sizeof(*req));
	const union MHD_ConnectionInfo	*ci;
	const char			*clen;
	int				 known;

	atomic_fetch_add(&h->inflight, 1);
	req->fe = h->fe;
	req->http = h;
	req->conn = conn;
	req->start_us = clock_now_us();
	req->head = strcmp(method, "HEAD") == 0;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	req->budget = ci != NULL ? ci->socket_context : NULL;
	http_client_ip(req);
	req->route = http_route(h, url, method, &known);
	req->route_label = req->route != NULL ? req->route->path : "other";
	if (http_framing_ambiguous(conn)) {
		log_ratelimited(LOG_LEVEL_INFO, 5, 10,
		    "http request refused reason=ambiguous-framing ip=%s",
		    req->ip);
		http_error(req, MHD_HTTP_BAD_REQUEST);
		req->resp.close = 1;
		return req;
	}
	if (req->route == NULL) {
		http_error(req, known ? MHD_HTTP_METHOD_NOT_ALLOWED :
		    MHD_HTTP_NOT_FOUND);
		if (known)
			req->resp.allow = http_allow(h, url);
		req->resp.close = 1;
		return req;
	}
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen != NULL && strtoull(clen, NULL, 10) > HTTP_BODY_MAX) {
		http_error(req, MHD_HTTP_CONTENT_TOO_LARGE);
		req->resp.close = 1;
		return req;
	}
	req->state = REQ_BODY;
	return req;
}

/* The client has sent what it had to: off the waiting list. */
static void
http_busy(struct req *req)
{
	if (req->budget != NULL)
		http_conns_busy(req->http->conns, req->budget);
}

static void
http_body(struct req *req, const char *data, size_t len)
{
	if (req->body_too_large || req->body_len + len > HTTP_BODY_MAX) {
		req->body_too_large = 1;
		return;
	}
	req->body = xrealloc(req->body, req->body_len + len + 1);
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct http	*h = cls;
	struct req	*req = *con_cls;

	(void)version;
	if (req == NULL) {
		*con_cls = req = http_req_new(h, conn, url, method);
		if (req->state == REQ_NEW) {	/* refused from the headers */
			http_busy(req);
			return http_send(req);
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (req->state == REQ_BODY)
			http_body(req, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->state == REQ_RESPONDED)
		return MHD_YES;
	if (req->state == REQ_BODY)	/* the whole request is here */
		http_busy(req);
	req->state = REQ_RUNNING;
	if (http_dispatch(req) == STEP_WAIT)
		return MHD_YES;
	return http_send(req);
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http	*h = cls;
	struct req	*req = *con_cls;

	(void)conn;
	if (req == NULL)
		return;
	if (req->budget != NULL)	/* waits for the next request now */
		http_conns_waiting(h->conns, req->budget);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug("http request ended early route=%s code=%d",
		    req->route_label, (int)toe);
	log_debug("http %s status=%u us=%llu", req->route_label,
	    req->resp.status, (unsigned long long)(clock_now_us() -
	    req->start_us));
	if (req->body != NULL) {
		sodium_memzero(req->body, req->body_len);
		free(req->body);
	}
	form_free(&req->form);
	json_decref(req->reply);
	free(req->user);
	if (req->hstate_free != NULL)
		req->hstate_free(req->hstate);
	http_resp_clear(&req->resp);
	free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

static void
http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http			*h = cls;
	struct http_conn		*c = *socket_context;
	const union MHD_ConnectionInfo	*ci, *addr;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		addr = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci == NULL)
			return;
		*socket_context = c = xcalloc(1, sizeof(*c));
		http_conns_opened(h->conns, c, ci->connect_fd,
		    addr != NULL ? addr->client_addr : NULL);
	} else if (c != NULL) {
		http_conns_closed(h->conns, c);
		free(c);
		*socket_context = NULL;
	}
}

/* Per client (address or IPv6 prefix), not libmicrohttpd's exact address. */
static enum MHD_Result
http_admit(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	return http_conns_admit(cls, addr) ? MHD_YES : MHD_NO;
}

/*
 * libmicrohttpd's own limit: the budget's cap plus room for the evicted
 * connections it has not closed yet, within the descriptors the process
 * may open.
 */
static unsigned
http_mhd_limit(unsigned *cap)
{
	struct rlimit	rl;
	unsigned	room, most;

	room = *cap / 16 > 16 ? *cap / 16 : 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)*cap + room + HTTP_FD_RESERVE) {
		most = rl.rlim_cur > HTTP_FD_RESERVE + 2 * room ?
		    (unsigned)rl.rlim_cur - HTTP_FD_RESERVE - room : 1;
		log_warnx("config HTTP_MAX_CONN=%u above the descriptor limit "
		    "nofile=%llu, using %u", *cap,
		    (unsigned long long)rl.rlim_cur, most);
		*cap = most;
	}
	return *cap + room;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	msg[512];
	size_t	n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_ratelimited(LOG_LEVEL_WARN, 10, 10, "libmicrohttpd reason=\"%s\"",
	    msg);
}
#pragma GCC diagnostic pop

struct http *
http_start(struct frontend *fe, const struct http_site *site, char *err,
    size_t errlen)
{
	struct http	*h = xcalloc(1, sizeof(*h));
	struct fe_config *cfg = &fe->cfg;
	unsigned	 flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_DUAL_STACK | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	unsigned	 cap, limit;

	h->fe = fe;
	h->site = *site;
	cap = cfg->http_max_conn;
	limit = http_mhd_limit(&cap);
	h->conns = http_conns_start(&(struct http_conns_config){ cap,
	    cfg->http_request_timeout_s * 1000, cfg->http_max_conn_per_ip,
	    cfg->http_ipv6_prefix });
	h->counts = xcalloc((site->nroutes + 1) * HTTP_NSTATUSES,
	    sizeof(*h->counts));
	pthread_mutex_init(&h->rpc_lock, NULL);
	h->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, http_admit,
	    h->conns, http_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->http_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, http_connection, h,
	    MHD_OPTION_END);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on port %u", cfg->port);
		http_conns_stop(h->conns);
		free(h->counts);
		free(h);
		return NULL;
	}
	return h;
}

void
http_stop(struct http *h, unsigned wait_ms)
{
	uint64_t	deadline = clock_now_ms() + wait_ms;
	int		n;

	if (h == NULL)
		return;
	/* Not MHD_quiesce_daemon: with a thread pool and epoll it races the
	 * workers over the listen socket's epoll entry and can abort
	 * ("Failed to remove listen FD from epoll set"); our accept policy
	 * refuses every new connection instead. */
	http_conns_close_door(h->conns);
	while ((n = atomic_load(&h->inflight)) > 0 &&
	    clock_now_ms() < deadline)
		usleep(20000);
	if (n > 0) {
		/* Their callbacks may still come: leave everything to exit. */
		log_warnx("http stop requests_in_flight=%d", n);
		return;
	}
	MHD_stop_daemon(h->daemon);
	http_conns_stop(h->conns);
	pthread_mutex_destroy(&h->rpc_lock);
	free(h->counts);
	free(h);
}
