/*
 * test_lineedit.c — unit tests for the chat client's pure modules: terminal
 * key decoding, the line editor and its history,
 * rendering of the input row, the protocol frames and the display escaping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_proto.h"
#include "client_render.h"
#include "frame.h"
#include "lineedit.h"

static int failures, checks;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	checks++;							\
	if (g_ == NULL || strcmp(g_, w_) != 0) {			\
		failures++;						\
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, g_ ? g_ : "(null)", w_);	\
	}								\
} while (0)

/* Feed bytes through the key decoder into the editor; last action. */
static enum lineedit_action
type(struct lineedit *le, const char *bytes)
{
	static struct lineedit_keys	 k;
	static int			 init;
	struct lineedit_key		 key;
	enum lineedit_action		 a = LINEEDIT_NONE;

	if (!init) {
		lineedit_keys_init(&k);
		init = 1;
	}
	for (; *bytes != '\0'; bytes++)
		if (lineedit_keys_feed(&k, (unsigned char)*bytes, &key))
			a = lineedit_key(le, &key);
	return a;
}

static void
test_keys(void)
{
	struct lineedit_keys	k;
	struct lineedit_key	key;
	const char		*s;
	int			n;

	lineedit_keys_init(&k);
#define ONE(bytes, want) do {						\
	n = 0;								\
	for (s = (bytes); *s; s++)					\
		n += lineedit_keys_feed(&k, (unsigned char)*s, &key);	\
	CHECK(n == 1 && key.kind == (want));				\
} while (0)
	ONE("\x1b[A", LINEEDIT_K_UP);
	ONE("\x1b[B", LINEEDIT_K_DOWN);
	ONE("\x1b[C", LINEEDIT_K_RIGHT);
	ONE("\x1b[D", LINEEDIT_K_LEFT);
	ONE("\x1bOH", LINEEDIT_K_HOME);
	ONE("\x1bOF", LINEEDIT_K_END);
	ONE("\x1b[1~", LINEEDIT_K_HOME);
	ONE("\x1b[4~", LINEEDIT_K_END);
	ONE("\x1b[3~", LINEEDIT_K_DELETE);
	ONE("\x1b[1;5C", LINEEDIT_K_WORD_RIGHT);
	ONE("\x1b[1;5D", LINEEDIT_K_WORD_LEFT);
	ONE("\x1b" "b", LINEEDIT_K_WORD_LEFT);
	ONE("\x1b" "f", LINEEDIT_K_WORD_RIGHT);
	ONE("\x7f", LINEEDIT_K_BACKSPACE);
	ONE("\x08", LINEEDIT_K_BACKSPACE);
	ONE("\r", LINEEDIT_K_ENTER);
	ONE("\x01", LINEEDIT_K_HOME);
	ONE("\x05", LINEEDIT_K_END);
	ONE("\x15", LINEEDIT_K_KILL_START);
	ONE("\x0b", LINEEDIT_K_KILL_END);
	ONE("\x17", LINEEDIT_K_KILL_WORD);
	ONE("\x03", LINEEDIT_K_INTERRUPT);
	ONE("\x04", LINEEDIT_K_EOF);
	ONE("\x0c", LINEEDIT_K_CLEAR);
	ONE("\x10", LINEEDIT_K_UP);
	ONE("\x0e", LINEEDIT_K_DOWN);
	/* UTF-8 split across reads, one key at the last byte */
	CHECK(lineedit_keys_feed(&k, 0xe6, &key) == 0);
	CHECK(lineedit_keys_feed(&k, 0x97, &key) == 0);
	CHECK(lineedit_keys_feed(&k, 0xa5, &key) == 1 &&
	    key.kind == LINEEDIT_K_CHAR && key.cp == 0x65E5);
	/* unknown sequences, bad bytes and other controls are dropped */
	ONE("\x1b[99~x", LINEEDIT_K_CHAR);
	CHECK(key.cp == 'x');
	ONE("\x1b[200~y", LINEEDIT_K_CHAR);
	ONE("\x80\xffz", LINEEDIT_K_CHAR);
	CHECK(key.cp == 'z');
	ONE("\xc3q", LINEEDIT_K_CHAR);		/* broken sequence, then q */
	CHECK(key.cp == 'q');
	ONE("\x07\x09w", LINEEDIT_K_CHAR);
	CHECK(key.cp == 'w');
	ONE("\xc2\x85v", LINEEDIT_K_CHAR);	/* C1 control is not typed */
	CHECK(key.cp == 'v');
#undef ONE
}

static void
test_edit(void)
{
	struct lineedit	 le;
	char		*line;
	size_t		 i;

	lineedit_init(&le, 32, 3);
	CHECK(type(&le, "h\xc3\xa9llo") == LINEEDIT_REDRAW);
	CHECK_STR(lineedit_line(&le), "h\xc3\xa9llo");
	CHECK(le.pos == 6);
	type(&le, "\x1b[D\x1b[D\x1b[D\x1b[D");	/* before é */
	CHECK(le.pos == 1);
	type(&le, "\x1b[3~");			/* delete é (2 bytes) */
	CHECK_STR(lineedit_line(&le), "hllo");
	type(&le, "E\x1b[C");
	CHECK_STR(lineedit_line(&le), "hEllo");
	CHECK(le.pos == 3);
	type(&le, "\x7f");
	CHECK_STR(lineedit_line(&le), "hElo");
	type(&le, "\x01");
	CHECK(le.pos == 0);
	CHECK(type(&le, "\x7f") == LINEEDIT_NONE);	/* nothing before */
	type(&le, "\x05");
	CHECK(le.pos == 4);
	type(&le, " big world\x17");		/* Ctrl-W kills "world" */
	CHECK_STR(lineedit_line(&le), "hElo big ");
	type(&le, "\x1b[1;5D");			/* word left: before "big" */
	CHECK(le.pos == 5);
	type(&le, "\x0b");			/* Ctrl-K */
	CHECK_STR(lineedit_line(&le), "hElo ");
	type(&le, "\x1b" "b" "\x15");		/* Alt-b, Ctrl-U */
	CHECK_STR(lineedit_line(&le), "hElo ");
	type(&le, "\x05\x15");
	CHECK_STR(lineedit_line(&le), "");
	/* combining mark moves and deletes with its base */
	type(&le, "ae\xcc\x81z");		/* a, e + U+0301, z */
	type(&le, "\x1b[D\x1b[D");
	CHECK(le.pos == 1);
	type(&le, "\x1b[C");
	CHECK(le.pos == 4);
	type(&le, "\x7f");
	CHECK_STR(lineedit_line(&le), "az");
	/* Ctrl-D deletes under the cursor, or quits on an empty line */
	type(&le, "\x01\x04");
	CHECK_STR(lineedit_line(&le), "z");
	CHECK(type(&le, "\x04") == LINEEDIT_REDRAW);
	CHECK(type(&le, "\x04") == LINEEDIT_QUIT);
	CHECK(type(&le, "\x03") == LINEEDIT_QUIT);
	/* full line: bell, and a character is never cut in half */
	for (i = 0; i < 31; i++)
		type(&le, "x");
	CHECK(type(&le, "\xc3\xa9") == LINEEDIT_BELL);
	CHECK(le.len == 31);
	CHECK(type(&le, "y") == LINEEDIT_REDRAW);
	CHECK(type(&le, "y") == LINEEDIT_BELL);
	CHECK(type(&le, "\r") == LINEEDIT_ACCEPT);
	line = lineedit_take(&le);
	CHECK(strlen(line) == 32);
	CHECK(le.len == 0 && le.pos == 0);
	free(line);
	lineedit_free(&le);
}

static void
test_history(void)
{
	struct lineedit le;

	lineedit_init(&le, 100, 3);
	CHECK(type(&le, "\x1b[A") == LINEEDIT_BELL);	/* empty history */
	lineedit_history_add(&le, "one");
	lineedit_history_add(&le, "two");
	lineedit_history_add(&le, "two");		/* repeat skipped */
	lineedit_history_add(&le, "");			/* empty skipped */
	lineedit_history_add(&le, "three");
	lineedit_history_add(&le, "four");		/* "one" drops out */
	CHECK(le.hist_len == 3);
	type(&le, "draft");
	type(&le, "\x1b[A");
	CHECK_STR(lineedit_line(&le), "four");
	CHECK(le.pos == 4);
	type(&le, "\x1b[A\x1b[A");
	CHECK_STR(lineedit_line(&le), "two");
	CHECK(type(&le, "\x1b[A") == LINEEDIT_BELL);
	CHECK_STR(lineedit_line(&le), "two");
	type(&le, "\x1b[B");
	CHECK_STR(lineedit_line(&le), "three");
	type(&le, "\x1b[B\x1b[B");
	CHECK_STR(lineedit_line(&le), "draft");	/* the unsent line is back */
	CHECK(type(&le, "\x1b[B") == LINEEDIT_BELL);
	type(&le, "\x10!");				/* Ctrl-P, edit a copy */
	CHECK_STR(lineedit_line(&le), "four!");
	free(lineedit_take(&le));
	CHECK(le.hist_pos == le.hist_len);
	CHECK_STR(le.hist[2], "four");
	lineedit_free(&le);
}

static void
test_render(void)
{
	struct lineedit	 le;
	char		*s, want[128];
	size_t		 len, i;

	lineedit_init(&le, 200, 0);
	type(&le, "hi \xe6\x97\xa5!");
	s = lineedit_render(&le, ">> ", 80, &len);
	/* prompt 3 + "hi " 3 + wide 2 + "!" 1 = column 9 */
	CHECK_STR(s, "\r>> hi \xe6\x97\xa5!\x1b[K\r\x1b[9C");
	CHECK(len == strlen(s));
	free(s);
	type(&le, "\x01");
	s = lineedit_render(&le, ">> ", 80, &len);
	CHECK_STR(s, "\r>> hi \xe6\x97\xa5!\x1b[K\r\x1b[3C");
	free(s);
	lineedit_set(&le, "");
	s = lineedit_render(&le, "", 80, &len);
	CHECK_STR(s, "\r\x1b[K\r");
	free(s);

	/* a long line scrolls: the cursor stays visible, the row never wraps */
	for (i = 0; i < 50; i++)
		type(&le, i % 10 == 9 ? "|" : "a");
	s = lineedit_render(&le, "> ", 20, &len);
	/* 17 columns for text + 1 for the cursor: the last 16 characters */
	snprintf(want, sizeof(want), "\r> %s\x1b[K\r\x1b[18C",
	    "aaaaa|aaaaaaaaa|");
	CHECK_STR(s, want);
	free(s);
	type(&le, "\x01");			/* Home: the start is shown */
	s = lineedit_render(&le, "> ", 20, &len);
	CHECK_STR(s, "\r> aaaaaaaaa|aaaaaaa\x1b[K\r\x1b[2C");
	free(s);
	/* too narrow for the prompt and 4 columns: the prompt goes */
	s = lineedit_render(&le, "name: ", 10, &len);
	CHECK_STR(s, "\raaaaaaaaa\x1b[K\r");
	free(s);
	s = lineedit_render(&le, "name: ", 11, &len);
	CHECK_STR(s, "\rname: aaaa\x1b[K\r\x1b[6C");
	free(s);
	lineedit_free(&le);
}

static void
test_proto(void)
{
	struct client_msg	 m;
	const uint8_t		*payload;
	uint8_t			*f;
	size_t			 len, plen, used;
	char			 err[128];
	const char		*j;

	f = client_proto_hello("alice", NULL, &len);
	CHECK(frame_parse(f, len, 1 << 20, &payload, &plen, &used) ==
	    FRAME_OK && used == len);
	CHECK(plen == len - 4);
	CHECK(memmem(payload, plen, "\"type\":\"HELLO\"", 14) != NULL);
	CHECK(memmem(payload, plen, "\"name\":\"alice\"", 14) != NULL);
	CHECK(memmem(payload, plen,
	    "\"features\":[\"error\",\"meta\",\"ping\"]", 34) != NULL);
	CHECK(memmem(payload, plen, "token", 5) == NULL);
	free(f);
	/* With a token (an account's): no name needed. */
	f = client_proto_hello(NULL, "0123abcd", &len);
	CHECK(memmem(f + 4, len - 4, "\"token\":\"0123abcd\"", 18) != NULL);
	CHECK(memmem(f + 4, len - 4, "\"name\"", 6) == NULL);
	free(f);
	f = client_proto_chat("bad \xff byte", &len);
	CHECK(memmem(f + 4, len - 4, "bad \xef\xbf\xbd byte", 12) != NULL);
	free(f);
	f = client_proto_quit(&len);
	CHECK(len == 4 + strlen("{\"type\":\"QUIT\"}") &&
	    memcmp(f + 4, "{\"type\":\"QUIT\"}", len - 4) == 0);
	free(f);
	f = client_proto_pong(&len);
	CHECK(memcmp(f + 4, "{\"type\":\"PONG\"}", len - 4) == 0);
	free(f);

	j = "{\"type\":\"CHAT\",\"content\":\"bob: hi\",\"room\":\"dev\","
	    "\"from\":\"bob\",\"ts\":1700000000000}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == 0);
	CHECK(m.type == CLIENT_MSG_CHAT);
	CHECK_STR(m.content, "bob: hi");
	CHECK_STR(m.room, "dev");
	CHECK_STR(m.from, "bob");
	CHECK(m.ts_ms == 1700000000000LL && !m.private_msg);
	client_proto_msg_clear(&m);
	j = "{\"type\":\"CHAT\",\"content\":\"x\",\"to\":\"me\"}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == 0 && m.private_msg);
	client_proto_msg_clear(&m);
	j = "{\"type\":\"ERROR\",\"code\":\"name_taken\",\"content\":\"no\"}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == 0 && m.type == CLIENT_MSG_ERROR);
	CHECK_STR(m.code, "name_taken");
	client_proto_msg_clear(&m);
	j = "{\"type\":\"SHINY\",\"content\":5}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == 0 && m.type == CLIENT_MSG_UNKNOWN);
	CHECK_STR(m.content, "");
	client_proto_msg_clear(&m);
	j = "{\"type\":\"WELCOME\"}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == 0 && m.type == CLIENT_MSG_WELCOME);
	client_proto_msg_clear(&m);
	j = "{\"content\":\"x\"}";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == -1 && m.obj == NULL);
	j = "[1]";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == -1);
	j = "{\"type\":\"CHAT\"";
	CHECK(client_proto_decode((const uint8_t *)j, strlen(j), &m, err,
	    sizeof(err)) == -1);
}

static char *
esc(const char *s)
{
	return client_render_escape(s, strlen(s));
}

static void
test_display(void)
{
	struct client_render_opts	 plain = { 0, 0, NULL };
	struct client_render_opts	 deco = { 1, 1, "alice" };
	char				*s;

	s = esc("a\x1b[31mred\nnext\t\x7f");
	CHECK_STR(s, "a\\x1B[31mred\\x0Anext\\x09\\x7F");
	free(s);
	s = esc("h\xc3\xa9 \xe6\x97\xa5 \xff");
	CHECK_STR(s, "h\xc3\xa9 \xe6\x97\xa5 \\xFF");
	free(s);
	s = esc("\xe2\x80\xae" "evil \xc2\x9b");
	CHECK_STR(s, "\\u202Eevil \\u009B");
	free(s);
	s = client_render_line(&plain, CLIENT_RENDER_CHAT, "bob: \x07hi", 0);
	CHECK_STR(s, "bob: \\x07hi");
	free(s);
	s = client_render_line(&deco, CLIENT_RENDER_OWN, "alice: hi", 0);
	CHECK(strstr(s, "\x1b[1;32malice\x1b[0m: hi") != NULL);
	CHECK(strstr(s, "[") != NULL && strstr(s, ":") != NULL);
	free(s);
	s = client_render_line(&deco, CLIENT_RENDER_CHAT, "bob: yo", 0);
	CHECK(strstr(s, "\x1b[1;36mbob\x1b[0m: yo") != NULL);
	free(s);
	s = client_render_line(&deco, CLIENT_RENDER_CHAT,
	    "SERVER: bob left the chat", 0);
	CHECK(strstr(s, "\x1b[33mSERVER: bob left the chat\x1b[0m") != NULL);
	free(s);
	s = client_render_line(&deco, CLIENT_RENDER_PRIVATE, "bob: psst", 0);
	CHECK(strstr(s, "\x1b[35mbob: psst") != NULL);
	free(s);
}

int
main(void)
{
	test_keys();
	test_edit();
	test_history();
	test_render();
	test_proto();
	test_display();
	printf("%d checks, %d failures\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
