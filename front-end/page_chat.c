/*
 * page_chat.c — GET /chat, POST /chat/name, POST /chat/ticket.
 *
 * The account is always the session's (the back end derives it from the
 * session's id hash).  The ticket is the only secret here: it goes to the
 * page once, in a no-store JSON body, and is never logged.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "embedded.h"
#include "frontend.h"
#include "html_chat.h"
#include "log.h"
#include "page_chat.h"
#include "site.h"

enum chat_step { CHAT_START, CHAT_DONE };

static const char *
chat_str(json_t *reply, const char *key)
{
	return json_string_value(json_object_get(reply, key));
}

/* The session ended between the page's look-up and the back end's. */
static int
chat_signed_out(json_t *reply)
{
	const char *code = chat_str(reply, "code");

	return code != NULL && strcmp(code, "signed_out") == 0;
}

/* A small JSON answer (the ticket route speaks JSON, never HTML). */
static enum step
chat_json(struct req *req, unsigned status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (s == NULL)
		fatalx("%s: json_dumps", __func__);
	http_html(req, status, s);
	req->resp.type = "application/json";
	return STEP_RESPOND;
}

static enum step
chat_json_error(struct req *req, unsigned status, const char *code)
{
	return chat_json(req, status, json_pack("{ss}", "error", code));
}

/* --- GET /chat ---------------------------------------------------------- */

enum step
page_chat(struct req *req)
{
	struct page	 p;
	json_t		*reply;
	const char	*name;

	switch ((enum chat_step)req->step) {
	case CHAT_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		req->step = CHAT_DONE;
		return http_rpc(req, "CHATNAME_GET", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	case CHAT_DONE:
		if ((reply = http_reply(req)) != NULL &&
		    chat_signed_out(reply))
			return http_redirect(req, "/login");
		if (reply == NULL ||
		    !json_is_true(json_object_get(reply, "success")))
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		name = chat_str(reply, "name");
		if (name == NULL) {
			site_page(req, &p, "Choose a chat name");
			return http_html(req, MHD_HTTP_OK, html_chat_name(&p,
			    NULL, NULL));
		}
		site_page(req, &p, "Chat");
		http_html(req, MHD_HTTP_OK, html_chat_page(&p, name,
		    req->fe->cfg.chat_ws_url));
		req->resp.csp = req->fe->cfg.chat_csp;
		return STEP_RESPOND;
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- POST /chat/name ---------------------------------------------------- */

static const struct {
	const char	*code;
	unsigned	 status;
	const char	*text;		/* NULL: the back end's message */
} chat_name_errors[] = {
	{ "taken", MHD_HTTP_CONFLICT, "That name is taken. Please choose "
	    "another." },
	{ "reserved", MHD_HTTP_CONFLICT, "That name is not available: it "
	    "belongs to an account, or looks too much like one that does. "
	    "Please choose another." },
	{ "invalid", MHD_HTTP_BAD_REQUEST, NULL },
};

/* The back end's reason as a sentence: capital first, full stop last. */
static void
chat_sentence(const char *msg, char *out, size_t outlen)
{
	size_t n;

	snprintf(out, outlen, "%s", msg);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] -= 'a' - 'A';
	n = strlen(out);
	if (n > 0 && n + 1 < outlen && strchr(".!?", out[n - 1]) == NULL) {
		out[n] = '.';
		out[n + 1] = '\0';
	}
}

static enum step
chat_name_refuse(struct req *req, unsigned status, const char *error)
{
	struct page p;

	site_page(req, &p, "Choose a chat name");
	return http_html(req, status, html_chat_name(&p,
	    form_get(&req->form, "name"), error));
}

enum step
page_chat_name(struct req *req)
{
	const char	*name = form_get(&req->form, "name");
	const char	*code, *msg;
	json_t		*reply;
	char		 text[256];
	size_t		 i;

	switch ((enum chat_step)req->step) {
	case CHAT_START:
		if (req->user == NULL)
			return http_redirect(req, "/login");
		if (name == NULL || *name == '\0')
			return chat_name_refuse(req, MHD_HTTP_BAD_REQUEST,
			    "Enter a name.");
		req->step = CHAT_DONE;
		return http_rpc(req, "CHATNAME_SET", json_pack("{ssss}",
		    "id_hash", req->sid_hash, "name", name));
	case CHAT_DONE:
		if ((reply = http_reply(req)) == NULL)
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		if (json_is_true(json_object_get(reply, "success"))) {
			log_info("chat name chosen user=%s ip=%s", req->user,
			    req->ip);
			return http_redirect(req, "/chat");
		}
		code = chat_str(reply, "code");
		if (code != NULL && strcmp(code, "has_name") == 0)
			return http_redirect(req, "/chat");
		if (chat_signed_out(reply))
			return http_redirect(req, "/login");
		for (i = 0; code != NULL && i < sizeof(chat_name_errors) /
		    sizeof(chat_name_errors[0]); i++)
			if (strcmp(code, chat_name_errors[i].code) == 0)
				break;
		if (code == NULL || i == sizeof(chat_name_errors) /
		    sizeof(chat_name_errors[0]))	/* not about the name */
			return site_error(req, MHD_HTTP_SERVICE_UNAVAILABLE);
		log_info("chat name refused code=%s user=%s ip=%s", code,
		    req->user, req->ip);
		if ((msg = chat_name_errors[i].text) == NULL &&
		    (msg = chat_str(reply, "message")) == NULL)
			msg = "This name cannot be used.";
		chat_sentence(msg, text, sizeof(text));
		return chat_name_refuse(req, chat_name_errors[i].status, text);
	}
	return site_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR);
}

/* --- POST /chat/ticket -------------------------------------------------- */

enum step
page_chat_ticket(struct req *req)
{
	json_t		*reply;
	const char	*ticket, *name, *code;

	switch ((enum chat_step)req->step) {
	case CHAT_START:
		if (req->user == NULL)
			return chat_json_error(req, MHD_HTTP_UNAUTHORIZED,
			    "signed_out");
		req->step = CHAT_DONE;
		return http_rpc(req, "TICKET_CREATE", json_pack("{ss}",
		    "id_hash", req->sid_hash));
	case CHAT_DONE:
		if ((reply = http_reply(req)) == NULL)
			return chat_json_error(req,
			    MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable");
		ticket = chat_str(reply, "ticket");
		name = chat_str(reply, "name");
		if (json_is_true(json_object_get(reply, "success")) &&
		    ticket != NULL && name != NULL)
			return chat_json(req, MHD_HTTP_OK, json_pack("{ssss}",
			    "ticket", ticket, "name", name));
		code = chat_str(reply, "code");
		if (code != NULL && strcmp(code, "no_name") == 0)
			return chat_json_error(req, MHD_HTTP_CONFLICT,
			    "no_name");
		if (code != NULL && strcmp(code, "signed_out") == 0)
			return chat_json_error(req, MHD_HTTP_UNAUTHORIZED,
			    "signed_out");
		return chat_json_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "unavailable");
	}
	return chat_json_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal");
}

/* --- the page's script and stylesheet ----------------------------------- */

static enum step
chat_asset(struct req *req, const char *type, const unsigned char *body,
    size_t len)
{
	req->resp.status = MHD_HTTP_OK;
	req->resp.body = (char *)body;
	req->resp.len = len;
	req->resp.static_body = 1;
	req->resp.type = type;
	req->resp.cacheable = 1;
	return STEP_RESPOND;
}

enum step
page_chat_js(struct req *req)
{
	return chat_asset(req, "text/javascript; charset=utf-8", embed_chat_js,
	    embed_chat_js_len);
}

enum step
page_chat_css(struct req *req)
{
	return chat_asset(req, "text/css; charset=utf-8", embed_chat_css,
	    embed_chat_css_len);
}
