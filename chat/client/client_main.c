/*
 * client_main.c — chat-client HOST PORT: the lab's command line, set-up
 * and the event loop (which owns the signals).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "cli.h"
#include "client.h"
#include "config.h"
#include "log.h"

static const char client_usage[] =
"usage: chat-client [--name NAME] HOST PORT\n"
"\n"
"Connect to the Parley chat server (or the lab's server.py) at HOST PORT.\n"
"On a terminal: an input line that incoming messages never break, with\n"
"history (Up/Down) and editing keys; #quit, /quit, Ctrl-C or Ctrl-D leave.\n"
"Otherwise pipe mode: the first input line is the name (or --name NAME),\n"
"every further line is sent, every message received is printed as one\n"
"line; it exits after #quit or end of input.\n"
"\n"
"  --name NAME   chat as NAME instead of asking\n"
"  --help        this text\n"
"  --version     print the version\n"
"\n"
"With CHAT_TOKEN or CHAT_TOKEN_FILE (a token made on the web site's\n"
"account page) it chats under the account's name and asks for none.\n"
"\n"
"Exit status: 0 after leaving, 1 when it cannot connect or gives up\n"
"reconnecting, 2 for a usage error, 3 when pipe mode has no usable name\n"
"(or the token is refused).\n";

struct client_settings {
	unsigned	 reconnect_max;
	unsigned	 backoff_base_ms;
	unsigned	 backoff_cap_ms;
	unsigned	 connect_timeout_ms;
	unsigned	 quit_timeout_ms;
	unsigned	 send_rate;
	unsigned	 send_burst;
	const char	*no_color;
	const char	*token;
	const char	*token_file;
	const char	*log_level;
};

#define CS(field)	struct client_settings, field

static const struct config_setting client_table[] = {
	{ "CHAT_CLIENT_RECONNECT_MAX", CONFIG_UINT(CS(reconnect_max)), 10, 0,
	    1000000, NULL, 0, "reconnect attempts in a row, 0 = no limit" },
	{ "CHAT_CLIENT_RECONNECT_BASE_MS", CONFIG_UINT(CS(backoff_base_ms)),
	    500, 1, 3600000, NULL, 0, "first reconnect delay (doubles)" },
	{ "CHAT_CLIENT_RECONNECT_CAP_MS", CONFIG_UINT(CS(backoff_cap_ms)),
	    10000, 1, 3600000, NULL, 0, "longest reconnect delay" },
	{ "CHAT_CLIENT_CONNECT_TIMEOUT_MS",
	    CONFIG_UINT(CS(connect_timeout_ms)), 10000, 1, 3600000, NULL, 0,
	    "connect timeout per address" },
	{ "CHAT_CLIENT_QUIT_TIMEOUT_MS", CONFIG_UINT(CS(quit_timeout_ms)),
	    5000, 1, 3600000, NULL, 0, "wait for the goodbye after quitting" },
	{ "CHAT_CLIENT_SEND_RATE", CONFIG_UINT(CS(send_rate)), 5, 0, 1000000,
	    NULL, 0, "lines per second after the burst, 0 = no pacing" },
	{ "CHAT_CLIENT_SEND_BURST", CONFIG_UINT(CS(send_burst)), 10, 1,
	    1000000, NULL, 0, "lines at once before pacing" },
	{ "NO_COLOR", CONFIG_STR(CS(no_color)), 0, 0, 0, NULL, 0,
	    "set (not empty): no colours or timestamps" },
	{ "CHAT_TOKEN", CONFIG_STR(CS(token)), 0, 0, 0, NULL, 0,
	    "an account's chat token (from /account): chat under its name" },
	{ "CHAT_TOKEN_FILE", CONFIG_STR(CS(token_file)), 0, 0, 0, NULL, 0,
	    "a file whose first line is the token (when CHAT_TOKEN is unset)" },
	CONFIG_ROW_LOG_LEVEL("warn", CS(log_level)),
};

static void
client_main_usage(void)
{
	fputs(client_usage, stderr);
	exit(CLIENT_EXIT_USAGE);
}

static void
client_main_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	client_quit(arg);
}

static void
client_main_libevent_log(int severity, const char *msg)
{
	(void)severity;
	log_debug("libevent msg=\"%s\"", msg);
}

static void
client_main_args(int argc, char **argv, struct client_opts *o)
{
	char	*end;
	long	 port;
	int	 i, pos = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			o->name = argv[++i];
		else if (strncmp(argv[i], "--name=", 7) == 0)
			o->name = argv[i] + 7;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			client_main_usage();
		else if (pos == 0 && ++pos)
			o->host = argv[i];
		else if (pos == 1 && ++pos)
			o->port = argv[i];
		else
			client_main_usage();
	}
	if (pos != 2 || (o->name != NULL && *o->name == '\0'))
		client_main_usage();
	port = strtol(o->port, &end, 10);
	if (*o->port == '\0' || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "chat-client: invalid port \"%s\"\n", o->port);
		exit(CLIENT_EXIT_USAGE);
	}
}

/* The first line of path, without its newline; fatal when unreadable. */
static char *
client_main_token_file(const char *path)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "chat-client: cannot read CHAT_TOKEN_FILE "
		    "%s\n", path);
		exit(CLIENT_EXIT_USAGE);
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' '))
		line[--n] = '\0';
	if (n <= 0) {
		fprintf(stderr, "chat-client: CHAT_TOKEN_FILE %s has no token\n",
		    path);
		exit(CLIENT_EXIT_USAGE);
	}
	return line;
}

static void
client_main_env(struct client_opts *o, struct client_settings *cs)
{
	const char *term = getenv("TERM");

	memset(cs, 0, sizeof(*cs));
	config_load(client_table, CONFIG_NSETTINGS(client_table), cs);
	o->reconnect_max = cs->reconnect_max;
	o->backoff_base_ms = cs->backoff_base_ms;
	o->backoff_cap_ms = cs->backoff_cap_ms;
	o->connect_timeout_ms = cs->connect_timeout_ms;
	o->quit_timeout_ms = cs->quit_timeout_ms;
	o->send_rate = cs->send_rate;
	o->send_burst = cs->send_burst;
	/* Never a command-line flag: ps(1) would show it to everyone. */
	if (cs->token != NULL)
		o->token = cs->token;
	else if (cs->token_file != NULL)
		o->token = client_main_token_file(cs->token_file);
	/* A "dumb" terminal (Emacs shell buffers) cannot take the editor's
	 * escape sequences: it gets pipe mode, as a pipe would. */
	o->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	/* https://no-color.org: set and not empty means no colour. */
	o->decorate = isatty(STDOUT_FILENO) && cs->no_color == NULL &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

int
main(int argc, char **argv)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct event		*sig_ev[3];
	struct event_base	*base;
	struct evdns_base	*dns;
	struct client_opts	 opts;
	struct client_settings	 cs;
	struct client		*c;
	size_t			 i;
	int			 code;

	cli_common(argc, argv, client_usage, client_table,
	    CONFIG_NSETTINGS(client_table), NULL);
	log_init("chat-client", "warn");
	memset(&opts, 0, sizeof(opts));
	client_main_args(argc, argv, &opts);
	client_main_env(&opts, &cs);
	log_init("chat-client", cs.log_level);
	signal(SIGPIPE, SIG_IGN);

	event_set_log_callback(client_main_libevent_log);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (dns == NULL &&
	    (dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) ==
	    NULL)
		fatalx("evdns_base_new failed");
	if ((c = client_new(base, dns, &opts)) == NULL)
		fatal("cannot set up the terminal");
	for (i = 0; i < 3; i++) {
		sig_ev[i] = evsignal_new(base, sigs[i], client_main_signal, c);
		event_add(sig_ev[i], NULL);
	}

	client_start(c);
	event_base_dispatch(base);
	code = client_exit_code(c);

	client_free(c);
	if (opts.token != NULL && opts.token != cs.token)
		free((char *)opts.token);
	for (i = 0; i < 3; i++)
		event_free(sig_ev[i]);
	evdns_base_free(dns, 1);
	event_base_free(base);
	return code;
}
