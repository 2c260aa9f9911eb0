/*
 * html.h — server-rendered pages.  Everything dynamic is escaped; pages
 * work without JavaScript and load nothing but /static/style.css.
 */
#ifndef PARLEY_HTML_H
#define PARLEY_HTML_H

#include <stdio.h>

struct page {
	const char	*title;
	const char	*user;		/* signed-in email, or NULL */
	const char	*csrf_token;	/* for the forms, "" when none */
	const char	*path;		/* current page, for aria-current */
};

/* What a form shows again after a failed post. */
struct html_form {
	const char	*email;		/* as typed; never the password */
	const char	*email_error;
	const char	*password_error;
	const char	*form_error;	/* shown above the form */
};

/* Each returns a malloc'd document. */
char	*html_home(const struct page *);
char	*html_secret(const struct page *);
char	*html_login(const struct page *, const struct html_form *);
char	*html_register(const struct page *, const struct html_form *);
char	*html_message(const struct page *, const char *heading,
	    const char *text, const char *link, const char *link_text);

/*
 * Building blocks for pages rendered elsewhere (html_account.c): open the
 * layout, write escaped or literal text, the CSRF field, error texts, close
 * (returns the malloc'd document).
 */
struct html {
	FILE	*f;
	char	*buf;
	size_t	 len;
};

void	 html_open(struct html *, const struct page *);
char	*html_close(struct html *);
void	 html_esc(struct html *, const char *);
void	 html_put(struct html *, const char *);
void	 html_csrf(struct html *, const struct page *);
void	 html_error_text(struct html *, const char *id, const char *error);
void	 html_form_error(struct html *, const struct html_form *);

#endif
