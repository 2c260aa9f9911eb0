/*
 * fuzz_line.c — the plain-text session's line splitter, escaping, name
 * check and command parser on arbitrary bytes, as conn.c and hub.c use them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "line.h"
#include "text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_one_line(const uint8_t *p, size_t n)
{
	struct command	 cmd;
	char		 err[160], *s;
	size_t		 len;

	(void)text_name_check((const char *)p, n, err, sizeof(err));
	s = text_escape(p, n, &len);
	if (len > 0 && s[0] == '/')
		(void)command_parse(s, len, &cmd, err, sizeof(err));
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t			 off = 0, n, used;
	enum line_status	 st;
	int			 skipping = 0, done;

	while (off < size) {
		if (skipping) {
			off += line_skip(data + off, size - off, &done);
			skipping = !done;
			continue;
		}
		st = line_next(data + off, size - off, 256, &n, &used);
		if (st == LINE_INCOMPLETE)
			break;
		if (st == LINE_OK)
			fuzz_one_line(data + off, n);
		else
			skipping = data[off + used - 1] != '\n';
		off += used;
	}
	return 0;
}
