/* text.c — display escaping and name rules (decoding: lib/utf8.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"
#include "utf8.h"
#include "xmalloc.h"

/* Characters that could move the cursor, recolour or reorder the screen. */
static int
text_is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static int
text_is_space_or_invisible(uint32_t cp)
{
	return cp == ' ' || cp == 0xa0 || cp == 0x1680 || cp == 0x180e ||
	    (cp >= 0x2000 && cp <= 0x200f) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || (cp >= 0x205f && cp <= 0x2064) || cp == 0x3000 ||
	    cp == 0xfeff || cp == 0xfffd || cp == 0x115f || cp == 0x1160 ||
	    cp == 0x3164 || cp == 0xffa0;
}

char *
text_escape(const void *src, size_t len, size_t *outlen)
{
	const uint8_t	*s = src;
	char		*out = xmalloc(len * 4 + 1), *p = out;
	uint32_t	 cp;
	size_t		 i = 0, n;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			p += sprintf(p, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (text_is_control(cp)) {
			if (cp < 0x80)
				p += sprintf(p, "\\x%02x", (unsigned)cp);
			else
				p += sprintf(p, "\\u%04x", (unsigned)cp);
		} else {
			memcpy(p, s + i, n);
			p += n;
		}
		i += n;
	}
	*p = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(p - out);
	return out;
}

int
text_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	const uint8_t	*s = (const uint8_t *)name;
	uint32_t	 cp;
	size_t		 i = 0, n, chars = 0;

	if (len == 0) {
		snprintf(err, errlen, "the name must not be empty");
		return -1;
	}
	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			snprintf(err, errlen, "the name is not valid UTF-8");
			return -1;
		}
		if (text_is_control(cp) || text_is_space_or_invisible(cp)) {
			snprintf(err, errlen, "the name must not contain "
			    "spaces or control characters");
			return -1;
		}
		if (++chars > NAME_MAX_CHARS) {
			snprintf(err, errlen, "the name is longer than %d "
			    "characters", NAME_MAX_CHARS);
			return -1;
		}
		i += n;
	}
	if (len == 6 && strncasecmp(name, "SERVER", 6) == 0) {
		snprintf(err, errlen, "the name SERVER is reserved");
		return -1;
	}
	return 0;
}

int
text_room_check(const char *room, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0 || len > ROOM_MAX_CHARS) {
		snprintf(err, errlen, "a room name has 1 to %d characters",
		    ROOM_MAX_CHARS);
		return -1;
	}
	for (i = 0; i < len; i++) {
		char c = room[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			snprintf(err, errlen, "a room name may contain only "
			    "letters, digits, '-' and '_'");
			return -1;
		}
	}
	return 0;
}

void
text_key(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	if (len >= outlen)
		len = outlen - 1;
	for (i = 0; i < len; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
	out[len] = '\0';
}
