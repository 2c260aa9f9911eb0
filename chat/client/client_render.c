/*
 * client_render.c — safe, decorated display lines.
 *
 * Colours: the sender's name in bold (the user's own name in green),
 * "SERVER: ..." lines in yellow, private messages in magenta, errors in
 * red, the client's notices and history replayed on join dim.  Only ever used when standard output is
 * a terminal and NO_COLOR is unset (client_ui.c decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_render.h"
#include "utf8.h"
#include "xmalloc.h"

#define SGR_RESET	"\x1b[0m"
#define SGR_BOLD	"\x1b[1m"
#define SGR_DIM		"\x1b[2m"
#define SGR_RED		"\x1b[31m"
#define SGR_GREEN	"\x1b[1;32m"
#define SGR_YELLOW	"\x1b[33m"
#define SGR_MAGENTA	"\x1b[35m"
#define SGR_CYAN	"\x1b[1;36m"

static int
client_render_is_bidi(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
	    cp == 0x061C;
}

char *
client_render_escape(const char *s, size_t len)
{
	char		*out = xmalloc(len * 6 + 1);
	size_t		 i = 0, o = 0, n;
	uint32_t	 cp;

	while (i < len) {
		n = utf8_next(s + i, len - i, &cp);
		if (cp == UTF8_BAD && n == 1 &&
		    (unsigned char)s[i] >= 0x80)
			o += (size_t)sprintf(out + o, "\\x%02X",
			    (unsigned char)s[i]);
		else if (cp < 0x20 || cp == 0x7F)
			o += (size_t)sprintf(out + o, "\\x%02X", cp);
		else if ((cp >= 0x80 && cp < 0xA0) || client_render_is_bidi(cp))
			o += (size_t)sprintf(out + o, "\\u%04X", cp);
		else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* "name: text" with a plausible name (no spaces, at most 64 bytes). */
static size_t
client_render_sender(const char *text)
{
	const char *colon = strstr(text, ": ");
	size_t n;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - text);
	if (n == 0 || n > 64 || memchr(text, ' ', n) != NULL)
		return 0;
	return n;
}

static char *
client_render_chat(const struct client_render_opts *o, const char *text)
{
	size_t n = client_render_sender(text);

	if (strncmp(text, "SERVER: ", 8) == 0 ||
	    strncmp(text, "CONNECTED USERS: ", 17) == 0)
		return xasprintf(SGR_YELLOW "%s" SGR_RESET, text);
	if (n == 0)
		return xstrdup(text);
	if (o->own_name != NULL && strlen(o->own_name) == n &&
	    strncmp(text, o->own_name, n) == 0)
		return xasprintf(SGR_GREEN "%.*s" SGR_RESET "%s", (int)n, text,
		    text + n);
	return xasprintf(SGR_CYAN "%.*s" SGR_RESET "%s", (int)n, text,
	    text + n);
}

static char *
client_render_colour(const struct client_render_opts *o,
    enum client_render_kind kind, const char *text)
{
	switch (kind) {
	case CLIENT_RENDER_CHAT:
	case CLIENT_RENDER_OWN:
		return client_render_chat(o, text);
	case CLIENT_RENDER_PRIVATE:
		return xasprintf(SGR_MAGENTA "%s" SGR_RESET, text);
	case CLIENT_RENDER_INFO:
		return xasprintf(SGR_BOLD "%s" SGR_RESET, text);
	case CLIENT_RENDER_ERROR:
		return xasprintf(SGR_RED "%s" SGR_RESET, text);
	case CLIENT_RENDER_HISTORY:
	case CLIENT_RENDER_NOTICE:
		return xasprintf(SGR_DIM "%s" SGR_RESET, text);
	}
	return xstrdup(text);
}

char *
client_render_line(const struct client_render_opts *o,
    enum client_render_kind kind, const char *text, time_t when)
{
	char		*safe, *body, *line, stamp[16] = "";
	struct tm	 tm;

	safe = client_render_escape(text, strlen(text));
	if (!o->colour)
		body = safe;
	else {
		body = client_render_colour(o, kind, safe);
		free(safe);
	}
	if (!o->timestamps)
		return body;
	if (localtime_r(&when, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "[%H:%M] ", &tm);
	line = o->colour ? xasprintf(SGR_DIM "%s" SGR_RESET "%s", stamp, body) :
	    xasprintf("%s%s", stamp, body);
	free(body);
	return line;
}
