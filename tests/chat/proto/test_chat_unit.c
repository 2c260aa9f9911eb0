/* test_chat_unit.c — framing, wire JSON, text rules, lines, commands,
 * flood control and the string map of the chat server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "flood.h"
#include "frame.h"
#include "line.h"
#include "strmap.h"
#include "text.h"
#include "wire.h"

#include "check.h"

int	main(void);


static void
test_frame(void)
{
	const uint8_t	*p;
	uint8_t		 buf[64];
	size_t		 plen, used;

	frame_header(buf, 5);
	memcpy(buf + 4, "{}abc", 5);
	CHECK(frame_parse(buf, 3, 100, &p, &plen, &used) == FRAME_INCOMPLETE);
	CHECK(frame_parse(buf, 8, 100, &p, &plen, &used) == FRAME_INCOMPLETE);
	CHECK(frame_parse(buf, 9, 100, &p, &plen, &used) == FRAME_OK);
	CHECK(plen == 5 && used == 9 && p == buf + 4);
	CHECK(frame_parse(buf, 9, 4, &p, &plen, &used) == FRAME_TOO_LARGE);
	frame_header(buf, 0);
	CHECK(frame_parse(buf, 4, 100, &p, &plen, &used) == FRAME_EMPTY);
	CHECK(used == 4);
	frame_header(buf, 0xffffffffu);
	CHECK(frame_parse(buf, 4, 65536, &p, &plen, &used) == FRAME_TOO_LARGE);
	CHECK(plen == 0xffffffffu);
}

static void
test_wire_encode(void)
{
	struct wbuf	 b = { 0 };
	const char	*expect = "{\"type\": \"CHAT\", \"content\": "
			    "\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\u0001\"}";

	wire_begin(&b, "CHAT");
	wire_str(&b, "content", "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\x01");
	wire_end(&b);
	CHECK(b.len == 4 + strlen(expect));
	CHECK(b.p[0] == 0 && b.p[3] == strlen(expect));
	CHECK(memcmp(b.p + 4, expect, strlen(expect)) == 0);
	wbuf_reset(&b);
	wire_begin(&b, "WELCOME");
	wire_int(&b, "ts", -5);
	wire_bool(&b, "history", 1);
	wire_end(&b);
	CHECK(memcmp(b.p + 4, "{\"type\": \"WELCOME\", \"ts\": -5, "
	    "\"history\": true}", b.len - 4) == 0);
	wbuf_free(&b);
}

static int
decode(const char *json, struct wire_msg *m, const char **code)
{
	char err[128];

	return wire_decode((const uint8_t *)json, strlen(json), m, code, err,
	    sizeof(err));
}

static void
test_wire_decode(void)
{
	struct wire_msg	 m;
	const char	*code;

	CHECK(decode("{\"type\":\"HELLO\",\"name\":\"bob\","
	    "\"features\":[\"meta\",\"x\",3,\"ping\"]}", &m, &code) == 0);
	CHECK(m.type == WIRE_HELLO && strcmp(m.name, "bob") == 0);
	CHECK(m.features == (WIRE_FEAT_META | WIRE_FEAT_PING));
	wire_msg_free(&m);
	CHECK(decode("{\"type\":\"CHAT\",\"content\":\"\"}", &m, &code) == 0);
	CHECK(m.type == WIRE_CHAT && m.content_len == 0);
	wire_msg_free(&m);
	CHECK(decode("{\"type\":\"QUIT\"}", &m, &code) == 0);
	wire_msg_free(&m);
	CHECK(decode("[1]", &m, &code) == -1 && strcmp(code, "bad_json") == 0);
	CHECK(decode("{", &m, &code) == -1 && strcmp(code, "bad_json") == 0);
	CHECK(decode("{\"type\":1}", &m, &code) == -1 &&
	    strcmp(code, "bad_type") == 0);
	CHECK(decode("{\"type\":\"X\"}", &m, &code) == -1 &&
	    strcmp(code, "bad_type") == 0);
	CHECK(decode("{\"type\":\"CHAT\",\"content\":1}", &m, &code) == -1 &&
	    strcmp(code, "bad_field") == 0);
	CHECK(decode("{\"type\":\"HELLO\",\"name\":\"a\",\"features\":1}", &m,
	    &code) == -1);
	CHECK(decode("{\"type\":\"CHAT\",\"content\":\"a\\u0000\"}", &m,
	    &code) == -1);
}

static void
test_text(void)
{
	char	 err[128], key[16];
	char	*s;
	size_t	 n;

	s = text_escape("a\x1b[0m\x7f\xc2\x85\xe2\x80\xae\xff\xc3\xa9", 14,
	    &n);
	CHECK(strcmp(s, "a\\x1b[0m\\x7f\\u0085\\u202e\\xff\xc3\xa9") == 0);
	CHECK(n == strlen(s));
	free(s);
	s = text_escape("\xe0\x80\x80\xed\xa0\x80", 6, NULL);	/* overlong, surrogate */
	CHECK(strcmp(s, "\\xe0\\x80\\x80\\xed\\xa0\\x80") == 0);
	free(s);
	CHECK(text_name_check("alice", 5, err, sizeof(err)) == 0);
	CHECK(text_name_check("", 0, err, sizeof(err)) == -1);
	CHECK(text_name_check("a b", 3, err, sizeof(err)) == -1);
	CHECK(text_name_check("a\xc2\xa0" "b", 4, err, sizeof(err)) == -1);
	CHECK(text_name_check("a\xe2\x80\x8b", 4, err, sizeof(err)) == -1);
	CHECK(text_name_check("Server", 6, err, sizeof(err)) == -1);
	CHECK(text_name_check("\xff", 1, err, sizeof(err)) == -1);
	CHECK(text_name_check("abcdefghijabcdefghijabcdefghijab", 32, err,
	    sizeof(err)) == 0);
	CHECK(text_name_check("abcdefghijabcdefghijabcdefghijabc", 33, err,
	    sizeof(err)) == -1);
	CHECK(text_room_check("dev-room_1", 10, err, sizeof(err)) == 0);
	CHECK(text_room_check("a.b", 3, err, sizeof(err)) == -1);
	CHECK(text_room_check("#", 1, err, sizeof(err)) == -1);
	text_key("AbC\xc3\x89", 5, key, sizeof(key));
	CHECK(strcmp(key, "abc\xc3\x89") == 0);
}

static void
test_line(void)
{
	const uint8_t	*b = (const uint8_t *)"hi\r\nthere\nxx";
	size_t		 n, used;
	int		 done;

	CHECK(line_next(b, 12, 100, &n, &used) == LINE_OK && n == 2 &&
	    used == 4);
	CHECK(line_next(b + 4, 8, 100, &n, &used) == LINE_OK && n == 5);
	CHECK(line_next(b + 10, 2, 100, &n, &used) == LINE_INCOMPLETE);
	CHECK(line_next((const uint8_t *)"abcdef", 6, 4, &n, &used) ==
	    LINE_TOO_LONG && used == 6);
	CHECK(line_next((const uint8_t *)"abcdef\n", 7, 4, &n, &used) ==
	    LINE_TOO_LONG && used == 7);
	CHECK(line_next((const uint8_t *)"abcd\r\n", 6, 4, &n, &used) ==
	    LINE_OK && n == 4);
	CHECK(line_skip((const uint8_t *)"xx\nyy", 5, &done) == 3 && done);
	CHECK(line_skip((const uint8_t *)"xxyy", 4, &done) == 4 && !done);
}

static void
test_command(void)
{
	struct command	 cmd;
	char		 err[160];
	const char	*l;

	l = "/join dev";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == 0);
	CHECK(cmd.id == CMD_JOIN && strcmp(cmd.arg, "dev") == 0);
	l = "/MSG  bob   hello  there ";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == 0);
	CHECK(cmd.id == CMD_MSG && strcmp(cmd.arg, "bob") == 0);
	CHECK(strcmp(cmd.text, "hello  there ") == 0);
	l = "/msg bob";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	CHECK(strstr(err, "usage") != NULL);
	l = "/join a b";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	l = "/who extra";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	l = "/frobnicate";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown command") != NULL);
	l = "/";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	l = "/ who";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == -1);
	l = "/rooms";
	CHECK(command_parse(l, strlen(l), &cmd, err, sizeof(err)) == 0 &&
	    cmd.id == CMD_ROOMS);
	CHECK(command_help(0) != NULL && command_help(CMD_COUNT) == NULL);
}

static void
test_flood(void)
{
	struct flood	f;
	int		i, passed = 0;

	flood_init(&f, 3, 1000);
	for (i = 0; i < 10; i++)
		passed += flood_take(&f, 2, 3, 1000) == 0;
	CHECK(passed == 3);
	CHECK(flood_take(&f, 2, 3, 1400) == -1);	/* 0.8 token */
	CHECK(flood_take(&f, 2, 3, 1500) == 0);		/* 1.0 token */
	CHECK(flood_take(&f, 0, 3, 1500) == 0);		/* unlimited */
	flood_init(&f, 0, 1000);			/* burst 0: unlimited */
	for (i = 0, passed = 0; i < 100; i++)
		passed += flood_take(&f, 2, 0, 1000) == 0;
	CHECK(passed == 100);
	flood_init(&f, 3, 0xfffffff0u);			/* clock wraps */
	CHECK(flood_take(&f, 1, 3, 0x100000010ull) == 0);
}

static int
count_cb(const char *k, void *v, void *arg)
{
	(void)k;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

static void
test_strmap(void)
{
	struct strmap	*m = strmap_new();
	char		 key[32];
	int		 i, n = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK(strmap_put(m, key, (void *)(intptr_t)(i + 1)) == NULL);
	}
	CHECK(strmap_count(m) == 1000);
	CHECK(strmap_get(m, "k500") == (void *)501);
	CHECK(strmap_put(m, "k500", (void *)7) == (void *)501);
	CHECK(strmap_del(m, "k500") == (void *)7);
	CHECK(strmap_get(m, "k500") == NULL && strmap_del(m, "k500") == NULL);
	strmap_foreach(m, count_cb, &n);
	CHECK(n == 999);
	strmap_free(m);
}

int
main(void)
{
	test_frame();
	test_wire_encode();
	test_wire_decode();
	test_text();
	test_line();
	test_command();
	test_flood();
	test_strmap();
	if (check_failures != 0) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("chat unit tests passed\n");
	return 0;
}
