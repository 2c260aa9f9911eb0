/*
 * command.h — chat commands typed as content starting with '/' (docs/chat.md):
 * the table of names, arguments and help, and a pure parser.  The handlers
 * live in hub.c, indexed by enum command_id.
 */
#ifndef PARLEY_COMMAND_H
#define PARLEY_COMMAND_H

#include <stddef.h>

enum command_id {
	CMD_JOIN,
	CMD_ROOMS,
	CMD_WHO,
	CMD_NICK,
	CMD_MSG,
	CMD_HELP,
	CMD_QUIT,
	CMD_COUNT
};

struct command {
	enum command_id	 id;
	const char	*arg;		/* first argument, NUL-terminated */
	const char	*text;		/* the rest (CMD_MSG), NUL-terminated */
	char		 buf[512];	/* arg lives here */
};

/*
 * Parse line (content starting with '/', len bytes, NUL-terminated, no
 * other NUL).  Returns 0,
 * or -1 with a message for the user in err (unknown command, wrong
 * arguments: the usage line).  cmd->text points into line.
 */
int		 command_parse(const char *line, size_t len, struct command *,
		    char *err, size_t errlen);

/* Help lines, one per command ("/join ROOM — ..."); NULL after the last. */
const char	*command_help(size_t i);

#endif
