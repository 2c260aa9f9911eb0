/* html.c — the layout, the navigation bar and each page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "log.h"

void
html_esc(struct html *h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", h->f);
			break;
		case '<':
			fputs("&lt;", h->f);
			break;
		case '>':
			fputs("&gt;", h->f);
			break;
		case '"':
			fputs("&quot;", h->f);
			break;
		case '\'':
			fputs("&#39;", h->f);
			break;
		default:
			fputc(*s, h->f);
		}
}

void
html_put(struct html *h, const char *s)
{
	fputs(s, h->f);
}

static void
html_nav_link(struct html *h, const struct page *p, const char *path,
    const char *text, const char *cls)
{
	fprintf(h->f, "<li><a class=\"%s\" href=\"%s\"%s>%s</a></li>", cls,
	    path, p->path != NULL && strcmp(p->path, path) == 0 ?
	    " aria-current=\"page\"" : "", text);
}

void
html_csrf(struct html *h, const struct page *p)
{
	html_put(h, "<input type=\"hidden\" name=\"csrf_token\" value=\"");
	html_esc(h, p->csrf_token);
	html_put(h, "\">");
}

static void
html_nav(struct html *h, const struct page *p)
{
	html_put(h, "<header class=\"bar\"><nav class=\"nav\" "
	    "aria-label=\"Main\"><a class=\"brand\" href=\"/\">"
	    "<span class=\"logo\" aria-hidden=\"true\">P</span>Parley</a>"
	    "<ul class=\"links\">");
	html_nav_link(h, p, "/secret", "Members", "navlink");
	if (p->user != NULL) {
		html_nav_link(h, p, "/chat", "Chat", "navlink");
		html_nav_link(h, p, "/account", "Account", "navlink");
		html_put(h, "<li class=\"who\"><span class=\"sr-only\">Signed "
		    "in as </span><span class=\"avatar\" aria-hidden=\"true\">");
		fputc(p->user[0] >= 'a' && p->user[0] <= 'z' ?
		    p->user[0] - 32 : '@', h->f);
		html_put(h, "</span><span class=\"email\">");
		html_esc(h, p->user);
		html_put(h, "</span></li><li><form class=\"inline\" "
		    "method=\"post\" action=\"/logout\">");
		html_csrf(h, p);
		html_put(h, "<button class=\"btn btn-ghost\" type=\"submit\">"
		    "Log out</button></form></li>");
	} else {
		html_nav_link(h, p, "/login", "Log in", "navlink");
		html_nav_link(h, p, "/register", "Register", "btn btn-small");
	}
	html_put(h, "</ul></nav></header>\n");
}

void
html_open(struct html *h, const struct page *p)
{
	memset(h, 0, sizeof(*h));
	if ((h->f = open_memstream(&h->buf, &h->len)) == NULL)
		fatal("%s: open_memstream", __func__);
	html_put(h, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">"
	    "<meta name=\"color-scheme\" content=\"light dark\">"
	    "<title>");
	html_esc(h, p->title);
	html_put(h, " · Parley</title>"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">"
	    "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"
	    "</head>\n<body><a class=\"skip\" href=\"#main\">Skip to content"
	    "</a>\n");
	html_nav(h, p);
	html_put(h, "<main id=\"main\" class=\"main\">\n");
}

char *
html_close(struct html *h)
{
	html_put(h, "</main>\n<footer class=\"foot\"><p>Parley · chat rooms "
	    "and accounts</p></footer>\n</body></html>\n");
	if (fclose(h->f) != 0)
		fatal("%s: fclose", __func__);
	return h->buf;
}

char *
html_home(const struct page *p)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"hero\">");
	if (p->user != NULL) {
		html_put(&h, "<h1>Welcome back</h1><p class=\"lead\">You are "
		    "signed in as <strong>");
		html_esc(&h, p->user);
		html_put(&h, "</strong>.</p><p class=\"actions\">"
		    "<a class=\"btn\" href=\"/chat\">Open the chat</a>"
		    "<a class=\"btn btn-ghost\" href=\"/secret\">Open the "
		    "members' page</a></p>");
	} else {
		html_put(&h, "<h1>Welcome to Parley</h1><p class=\"lead\">"
		    "Chat rooms for your team. Create an account or log in to "
		    "see the members' page.</p><p class=\"actions\">"
		    "<a class=\"btn\" href=\"/register\">Create an account</a>"
		    "<a class=\"btn btn-ghost\" href=\"/login\">Log in</a></p>"
		    "<p><a href=\"/secret\">Members' page</a> "
		    "(needs an account)</p>");
	}
	html_put(&h, "</section>\n");
	return html_close(&h);
}

char *
html_secret(const struct page *p)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"card\"><p class=\"badge\">Members "
	    "only</p><h1>The secret page</h1><p class=\"lead\">You are logged "
	    "in as <strong>");
	html_esc(&h, p->user);
	html_put(&h, "</strong>.</p><p>Only signed-in members can see this "
	    "page. Log out from the bar at the top when you are done.</p>"
	    "</section>\n");
	return html_close(&h);
}

void
html_error_text(struct html *h, const char *id, const char *error)
{
	if (error == NULL || *error == '\0')
		return;
	fprintf(h->f, "<p class=\"field-error\" id=\"%s\">"
	    "<span aria-hidden=\"true\">⚠ </span>", id);
	html_esc(h, error);
	html_put(h, "</p>");
}

static void
html_field_email(struct html *h, const struct html_form *f)
{
	int bad = f->email_error != NULL && *f->email_error != '\0';

	html_put(h, "<div class=\"field\"><label for=\"email\">Email address"
	    "</label><input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"username\" inputmode=\"email\" spellcheck=\"false\" "
	    "autocapitalize=\"none\" required maxlength=\"254\" value=\"");
	html_esc(h, f->email);
	fprintf(h->f, "\"%s%s>", bad ? " aria-invalid=\"true\" "
	    "aria-describedby=\"email-error\"" : "",
	    bad || f->email == NULL || *f->email == '\0' ? " autofocus" : "");
	html_error_text(h, "email-error", f->email_error);
	html_put(h, "</div>");
}

static void
html_field_password(struct html *h, const struct html_form *f, int is_new)
{
	int bad = f->password_error != NULL && *f->password_error != '\0';

	fprintf(h->f, "<div class=\"field\"><label for=\"password\">%s"
	    "</label>", is_new ? "Choose a password" : "Password");
	if (is_new)
		html_put(h, "<p class=\"hint\" id=\"password-hint\">12 to 128 "
		    "characters. Spaces, emoji and any language are welcome; "
		    "a few unrelated words work well. Common passwords are "
		    "refused.</p>");
	fprintf(h->f, "<input id=\"password\" name=\"password\" "
	    "type=\"password\" autocomplete=\"%s\" required%s "
	    "maxlength=\"512\"", is_new ? "new-password" : "current-password",
	    is_new ? " minlength=\"12\"" : "");
	if (bad || is_new)
		fprintf(h->f, " aria-describedby=\"%s%s%s\"",
		    is_new ? "password-hint" : "", is_new && bad ? " " : "",
		    bad ? "password-error" : "");
	fprintf(h->f, "%s%s>", bad ? " aria-invalid=\"true\"" : "",
	    bad && (f->email_error == NULL || *f->email_error == '\0') ?
	    " autofocus" : "");
	html_error_text(h, "password-error", f->password_error);
	html_put(h, "</div>");
}

void
html_form_error(struct html *h, const struct html_form *f)
{
	if (f->form_error == NULL || *f->form_error == '\0')
		return;
	html_put(h, "<div class=\"alert\" role=\"alert\">");
	html_esc(h, f->form_error);
	html_put(h, "</div>");
}

/* What differs between the log-in and the register form. */
struct html_account_form {
	const char	*intro;		/* card heading and sub-line */
	const char	*action;
	int		 new_password;
	const char	*outro;		/* button and the switch link */
};

static const struct html_account_form html_login_form = {
	"<section class=\"card narrow\"><h1>Log in</h1>"
	"<p class=\"sub\">Welcome back. Enter your email and password.</p>",
	"/login", 0,
	"<button class=\"btn btn-wide\" type=\"submit\">Log in"
	"</button></form><p class=\"switch\">New here? "
	"<a href=\"/register\">Create an account</a></p></section>\n"
};

static const struct html_account_form html_register_form = {
	"<section class=\"card narrow\"><h1>Create an account"
	"</h1><p class=\"sub\">It takes an email address and a password.</p>",
	"/register", 1,
	"<button class=\"btn btn-wide\" type=\"submit\">Create "
	"account</button></form><p class=\"switch\">Already have an "
	"account? <a href=\"/login\">Log in</a></p></section>\n"
};

static char *
html_account(const struct page *p, const struct html_form *f,
    const struct html_account_form *a)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, a->intro);
	html_form_error(&h, f);
	html_put(&h, "<form method=\"post\" action=\"");
	html_put(&h, a->action);
	html_put(&h, "\" novalidate>");
	html_csrf(&h, p);
	html_field_email(&h, f);
	html_field_password(&h, f, a->new_password);
	html_put(&h, a->outro);
	return html_close(&h);
}

char *
html_login(const struct page *p, const struct html_form *f)
{
	return html_account(p, f, &html_login_form);
}

char *
html_register(const struct page *p, const struct html_form *f)
{
	return html_account(p, f, &html_register_form);
}

char *
html_message(const struct page *p, const char *heading, const char *text,
    const char *link, const char *link_text)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<section class=\"card narrow\"><h1>");
	html_esc(&h, heading);
	html_put(&h, "</h1><p class=\"lead\">");
	html_esc(&h, text);
	html_put(&h, "</p>");
	if (link != NULL) {
		html_put(&h, "<p class=\"actions\"><a class=\"btn\" href=\"");
		html_esc(&h, link);
		html_put(&h, "\">");
		html_esc(&h, link_text);
		html_put(&h, "</a></p>");
	}
	html_put(&h, "</section>\n");
	return html_close(&h);
}
