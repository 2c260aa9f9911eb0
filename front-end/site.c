/* site.c — pages that only read, operations endpoints and error pages. */
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "frontend.h"
#include "html.h"
#include "rpc_client.h"
#include "site.h"
#include "xmalloc.h"

void
site_page(struct req *req, struct page *p, const char *title)
{
	p->title = title;
	p->user = req->user;
	p->csrf_token = req->csrf_token;
	p->path = req->route != NULL ? req->route->path : NULL;
}

enum step
site_home(struct req *req)
{
	struct page p;

	site_page(req, &p, req->user != NULL ? "Home" : "Welcome");
	return http_html(req, MHD_HTTP_OK, html_home(&p));
}

enum step
site_secret(struct req *req)
{
	struct page p;

	if (req->user == NULL)
		return http_redirect(req, "/login");
	site_page(req, &p, "Members");
	return http_html(req, MHD_HTTP_OK, html_secret(&p));
}

/* An empty log-in or register form; a signed-in user goes home instead. */
static enum step
site_form(struct req *req, const char *title,
    char *(*render)(const struct page *, const struct html_form *))
{
	struct html_form	f = { 0 };
	struct page		p;

	if (req->user != NULL)
		return http_redirect(req, "/");
	site_page(req, &p, title);
	return http_html(req, MHD_HTTP_OK, render(&p, &f));
}

enum step
site_login_form(struct req *req)
{
	return site_form(req, "Log in", html_login);
}

enum step
site_register_form(struct req *req)
{
	return site_form(req, "Create an account", html_register);
}

static enum step
site_static(struct req *req, unsigned status, const char *type,
    const void *body, size_t len)
{
	req->resp.status = status;
	req->resp.body = (char *)body;
	req->resp.len = len;
	req->resp.static_body = 1;
	req->resp.type = type;
	return STEP_RESPOND;
}

enum step
site_style(struct req *req)
{
	req->resp.cacheable = 1;
	return site_static(req, MHD_HTTP_OK, "text/css; charset=utf-8",
	    embed_style_css, embed_style_css_len);
}

/* The logo: a rounded square with a P, no external file. */
static const char site_icon_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
    "<defs><linearGradient id=\"g\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">"
    "<stop offset=\"0\" stop-color=\"#4f46e5\"/>"
    "<stop offset=\"1\" stop-color=\"#06b6d4\"/></linearGradient></defs>"
    "<rect width=\"32\" height=\"32\" rx=\"8\" fill=\"url(#g)\"/>"
    "<text x=\"16\" y=\"23\" font-family=\"system-ui,sans-serif\" "
    "font-size=\"19\" font-weight=\"800\" fill=\"#fff\" "
    "text-anchor=\"middle\">P</text></svg>\n";

enum step
site_icon(struct req *req)
{
	req->resp.cacheable = 1;
	return site_static(req, MHD_HTTP_OK, "image/svg+xml",
	    site_icon_svg, sizeof(site_icon_svg) - 1);
}

enum step
site_healthz(struct req *req)
{
	return site_static(req, MHD_HTTP_OK, "text/plain; charset=utf-8",
	    "ok\n", 3);
}

enum step
site_readyz(struct req *req)
{
	if (rpc_client_ready(req->fe->rpc))
		return site_static(req, MHD_HTTP_OK,
		    "text/plain; charset=utf-8", "ready\n", 6);
	return site_static(req, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "text/plain; charset=utf-8", "not ready: RabbitMQ unreachable\n",
	    32);
}

static const struct {
	unsigned	 status;
	const char	*title;
	const char	*text;
} site_errors[] = {
	{ 400, "Bad request", "The form could not be read. Go back, reload "
	    "the page and try again." },
	{ 403, "Form expired", "This form has expired or did not come from "
	    "this site, so nothing was changed. Go back, reload the page and "
	    "send it again." },
	{ 404, "Page not found", "There is no page at this address." },
	{ 405, "Method not allowed", "This page cannot be used that way." },
	{ 413, "Too much data", "The form sent more data than this site "
	    "accepts." },
	{ 415, "Unsupported form", "This site only accepts ordinary HTML "
	    "form posts." },
	{ 500, "Something went wrong", "An unexpected error happened. Please "
	    "try again." },
	{ 503, "Service unavailable", "The service is temporarily "
	    "unavailable. Nothing was lost; please try again in a moment." },
	{ 501, "Not available", "This server cannot do that yet: the service "
	    "behind it does not know this request (it is probably an older "
	    "version). Nothing was changed. Trying again will not help; "
	    "please tell the site's operator." },
};

/* The back end said "unknown action": an older back end than this front
 * end.  Retrying cannot help, so it gets its own page (docs/frontend.md). */
static int
site_unknown_action(struct req *req)
{
	json_t		*reply = http_reply(req);
	const char	*msg;

	if (reply == NULL || json_is_true(json_object_get(reply, "success")))
		return 0;
	msg = json_string_value(json_object_get(reply, "message"));
	return msg != NULL && strncmp(msg, "unknown action", 14) == 0;
}

enum step
site_error(struct req *req, unsigned status)
{
	struct page	p;
	size_t		i;

	if (status == MHD_HTTP_SERVICE_UNAVAILABLE && site_unknown_action(req))
		status = MHD_HTTP_NOT_IMPLEMENTED;
	for (i = 0; i < sizeof(site_errors) / sizeof(site_errors[0]); i++)
		if (site_errors[i].status == status)
			break;
	if (i == sizeof(site_errors) / sizeof(site_errors[0]))
		i = 6;	/* 500 */
	site_page(req, &p, site_errors[i].title);
	/* Error pages carry no forms: show the anonymous navigation bar. */
	p.user = NULL;
	p.path = NULL;
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		req->resp.retry_after = 5;
	return http_html(req, site_errors[i].status, html_message(&p,
	    site_errors[i].title, site_errors[i].text, "/", "Go to the home "
	    "page"));
}
