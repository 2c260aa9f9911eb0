/* untrusted.c — bounds and rules for bus and store input (untrusted.h). */
#include <string.h>

#include "settings.h"
#include "text.h"
#include "untrusted.h"

#define UNTRUSTED_TS_MAX	INT64_C(253402300799999)	/* 9999-12-31 */

int
untrusted_name(const char *name)
{
	char err[128];

	return text_name_check(name, strlen(name), err, sizeof(err));
}

int
untrusted_room(const char *room, char out[ROOM_MAX_CHARS + 1])
{
	size_t	i, len = strlen(room);
	char	err[128];

	if (text_room_check(room, len, err, sizeof(err)) == -1)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = room[i] >= 'A' && room[i] <= 'Z' ?
		    (char)(room[i] - 'A' + 'a') : room[i];
	out[len] = '\0';
	return 0;
}

int
untrusted_origin(const char *origin)
{
	size_t i, len = strlen(origin);

	if (len == 0 || len > UNTRUSTED_ORIGIN_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		char c = origin[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	return 0;
}

int
untrusted_content(const char *content)
{
	return strlen(content) <= settings.content_max * 4 ? 0 : -1;
}

int
untrusted_ts(int64_t ts)
{
	return ts >= 0 && ts <= UNTRUSTED_TS_MAX ? 0 : -1;
}
