/*
 * client_render.h — turn received text into a line that is safe to show:
 * control characters, invalid UTF-8 and bidi overrides are escaped; on a
 * terminal a [HH:MM] timestamp and colours are added.  Pure.
 */
#ifndef PARLEY_CLIENT_RENDER_H
#define PARLEY_CLIENT_RENDER_H

#include <stddef.h>
#include <time.h>

enum client_render_kind {
	CLIENT_RENDER_CHAT,	/* a CHAT line from the server */
	CLIENT_RENDER_PRIVATE,	/* a private CHAT line */
	CLIENT_RENDER_HISTORY,	/* a CHAT line replayed from history */
	CLIENT_RENDER_OWN,	/* echo of a line the user sent */
	CLIENT_RENDER_INFO,	/* WELCOME, BYE */
	CLIENT_RENDER_ERROR,	/* ERROR from the server */
	CLIENT_RENDER_NOTICE,	/* the client's own status lines */
};

struct client_render_opts {
	int		 colour;	/* ANSI SGR colours */
	int		 timestamps;	/* "[HH:MM] " prefix */
	const char	*own_name;	/* highlighted; may be NULL */
};

/*
 * Escape s for display: C0 controls, DEL and invalid bytes as \xHH, C1
 * controls and bidi/isolate controls as \uHHHH.  A new string.
 */
char	*client_render_escape(const char *s, size_t len);

/* One display line (no newline); when is the message time. */
char	*client_render_line(const struct client_render_opts *,
	    enum client_render_kind, const char *text, time_t when);

#endif
