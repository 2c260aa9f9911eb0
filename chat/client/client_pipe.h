/*
 * client_pipe.h — pipe mode input: standard input read line by line
 * (a pipe, a socket, a regular file or /dev/null).
 */
#ifndef PARLEY_CLIENT_PIPE_H
#define PARLEY_CLIENT_PIPE_H

struct event_base;
struct client_pipe;

struct client_pipe_cb {
	void	(*line)(void *arg, char *line);	/* line is the callee's */
	void	(*eof)(void *arg);
};

struct client_pipe *client_pipe_new(struct event_base *, int fd,
	    const struct client_pipe_cb *, void *arg);
void	client_pipe_free(struct client_pipe *);
/* Stop (1) or resume (0) reading: flow control while lines wait. */
void	client_pipe_pause(struct client_pipe *, int);

#endif
