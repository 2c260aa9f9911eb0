/* command.c — the command table and the parser of "/name args". */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "command.h"

enum command_args { ARGS_NONE, ARGS_ONE, ARGS_ONE_AND_TEXT };

static const struct {
	const char		*name;
	enum command_id		 id;
	enum command_args	 args;
	const char		*help;
} command_table[] = {
	{ "join",  CMD_JOIN,  ARGS_ONE,
	    "/join ROOM - leave this room and enter ROOM (created if new)" },
	{ "rooms", CMD_ROOMS, ARGS_NONE,
	    "/rooms - list the rooms in use and how many are in each" },
	{ "who",   CMD_WHO,   ARGS_NONE,
	    "/who - list the users in this room" },
	{ "nick",  CMD_NICK,  ARGS_ONE,
	    "/nick NEW - change your name" },
	{ "msg",   CMD_MSG,   ARGS_ONE_AND_TEXT,
	    "/msg NAME TEXT - send TEXT to NAME only" },
	{ "help",  CMD_HELP,  ARGS_NONE,
	    "/help - this list" },
	{ "quit",  CMD_QUIT,  ARGS_NONE,
	    "/quit - leave the chat" },
};

#define NCOMMANDS	(sizeof(command_table) / sizeof(command_table[0]))

static int
command_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word of s[*i..len): start and length; skips leading spaces. */
static size_t
command_word(const char *s, size_t len, size_t *i, const char **word)
{
	size_t start;

	while (*i < len && command_is_space(s[*i]))
		(*i)++;
	start = *i;
	while (*i < len && !command_is_space(s[*i]))
		(*i)++;
	*word = s + start;
	return *i - start;
}

static int
command_usage(size_t k, char *err, size_t errlen)
{
	snprintf(err, errlen, "usage: %s", command_table[k].help);
	return -1;
}

int
command_parse(const char *line, size_t len, struct command *cmd, char *err,
    size_t errlen)
{
	const char	*word, *arg;
	size_t		 i = 1, n, argn, k;

	memset(cmd, 0, sizeof(*cmd));
	if (len == 0 || line[0] != '/')
		return snprintf(err, errlen, "not a command"), -1;
	n = command_word(line, len, &i, &word);
	for (k = 0; k < NCOMMANDS; k++)
		if (strlen(command_table[k].name) == n &&
		    strncasecmp(command_table[k].name, word, n) == 0)
			break;
	if (n == 0 || word != line + 1 || k == NCOMMANDS) {
		snprintf(err, errlen, "unknown command '/%.*s', try /help",
		    (int)(n > 32 ? 32 : n), word);
		return -1;
	}
	cmd->id = command_table[k].id;
	argn = command_word(line, len, &i, &arg);
	switch (command_table[k].args) {
	case ARGS_NONE:
		if (argn != 0)
			return command_usage(k, err, errlen);
		return 0;
	case ARGS_ONE:
		if (argn == 0 || argn >= sizeof(cmd->buf))
			return command_usage(k, err, errlen);
		if (command_word(line, len, &i, &word) != 0)
			return command_usage(k, err, errlen);
		break;
	case ARGS_ONE_AND_TEXT:
		if (argn == 0 || argn >= sizeof(cmd->buf))
			return command_usage(k, err, errlen);
		while (i < len && command_is_space(line[i]))
			i++;
		if (i == len)
			return command_usage(k, err, errlen);
		cmd->text = line + i;
		break;
	}
	memcpy(cmd->buf, arg, argn);
	cmd->buf[argn] = '\0';
	cmd->arg = cmd->buf;
	return 0;
}

const char *
command_help(size_t i)
{
	return i < NCOMMANDS ? command_table[i].help : NULL;
}
