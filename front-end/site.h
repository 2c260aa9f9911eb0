/* site.h — the pages that only read: /, /secret, the two forms, the
 * stylesheet, operations endpoints and error pages. */
#ifndef PARLEY_SITE_H
#define PARLEY_SITE_H

#include "html.h"
#include "http.h"

enum step	site_home(struct req *);
enum step	site_secret(struct req *);
enum step	site_login_form(struct req *);
enum step	site_register_form(struct req *);
enum step	site_style(struct req *);
enum step	site_icon(struct req *);
enum step	site_healthz(struct req *);
enum step	site_readyz(struct req *);

/* The page context for req: title, signed-in user, CSRF token. */
void		site_page(struct req *, struct page *, const char *title);

/* An error page for status (400, 403, 404, 405, 413, 415, 500, 503). */
enum step	site_error(struct req *, unsigned status);

#endif
