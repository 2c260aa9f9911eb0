/* html_chat.c — see html_chat.h.  The name and the URL are escaped like
 * user input; the script reads them from data attributes (no inline
 * script: the CSP forbids it). */
#include <stdio.h>

#include "html_chat.h"

char *
html_chat_name(const struct page *p, const char *name, const char *error)
{
	struct html	h;
	int		bad = error != NULL && *error != '\0';

	html_open(&h, p);
	html_put(&h, "<section class=\"card narrow\"><h1>Choose your chat "
	    "name</h1><p class=\"sub\">Others in the chat rooms see it next "
	    "to your messages. Once chosen it is your account's on every "
	    "chat server, nobody else can take it, and it cannot be changed."
	    "</p>");
	if (bad)
		html_put(&h, "<div class=\"alert\" role=\"alert\">That name "
		    "cannot be used. Please choose another.</div>");
	html_put(&h, "<form method=\"post\" action=\"/chat/name\" novalidate>");
	html_csrf(&h, p);
	html_put(&h, "<div class=\"field\"><label for=\"name\">Chat name"
	    "</label><p class=\"hint\" id=\"name-hint\">1 to 32 characters, "
	    "no spaces; letters of any language, digits and symbols are fine. "
	    "Names that look alike count as the same name.</p>"
	    "<input id=\"name\" name=\"name\" type=\"text\" required "
	    "autocomplete=\"nickname\" spellcheck=\"false\" "
	    "autocapitalize=\"none\" maxlength=\"128\" value=\"");
	html_esc(&h, name);
	fprintf(h.f, "\" aria-describedby=\"name-hint%s\"%s autofocus>",
	    bad ? " name-error" : "", bad ? " aria-invalid=\"true\"" : "");
	html_error_text(&h, "name-error", error);
	html_put(&h, "</div><button class=\"btn btn-wide\" type=\"submit\">"
	    "Use this name</button></form></section>\n");
	return html_close(&h);
}

char *
html_chat_page(const struct page *p, const char *name, const char *ws_url)
{
	struct html h;

	html_open(&h, p);
	html_put(&h, "<link rel=\"stylesheet\" href=\"/static/chat.css\">"
	    "<div class=\"chat\" id=\"chat\" data-ws=\"");
	html_esc(&h, ws_url);
	html_put(&h, "\" data-name=\"");
	html_esc(&h, name);
	html_put(&h, "\"><div class=\"chat-head\"><h1 class=\"chat-title\">"
	    "<span class=\"sr-only\">Chat room </span><span id=\"room-name\">"
	    "lobby</span></h1><p class=\"chat-me\">You are <strong "
	    "class=\"me\">");
	html_esc(&h, name);
	html_put(&h, "</strong></p><div id=\"status\" class=\"chat-status\" "
	    "role=\"status\" data-state=\"connecting\"><span "
	    "class=\"dot\" aria-hidden=\"true\"></span><span id=\"status-text\">"
	    "Connecting…</span> <button id=\"reconnect\" class=\"btn btn-small "
	    "btn-ghost\" type=\"button\" hidden>Reconnect now</button></div>"
	    "</div>"
	    "<section class=\"chat-main\" aria-label=\"Messages\">"
	    "<ol id=\"log\" class=\"chat-log\" role=\"log\" aria-live=\"polite\" "
	    "aria-label=\"Messages in this room\" tabindex=\"0\"></ol>"
	    "<form id=\"send\" class=\"chat-send\" autocomplete=\"off\">"
	    "<label for=\"message\">Message</label><div class=\"chat-row\">"
	    "<input id=\"message\" name=\"message\" type=\"text\" "
	    "maxlength=\"4000\" enterkeyhint=\"send\" "
	    "aria-describedby=\"message-hint\" disabled>"
	    "<button class=\"btn\" type=\"submit\" disabled>Send</button></div>"
	    "<p class=\"hint\" id=\"message-hint\">Enter sends. Commands: "
	    "/join ROOM, /who, /rooms, /msg NAME TEXT, /help.</p></form>"
	    "</section><aside class=\"chat-side\" aria-label=\"Rooms and "
	    "people\"><section aria-labelledby=\"who-h\"><h2 id=\"who-h\">Here "
	    "now <span id=\"who-count\" class=\"count\"></span></h2>"
	    "<ul id=\"who\" class=\"chat-who\"></ul></section>"
	    "<section aria-labelledby=\"rooms-h\"><h2 id=\"rooms-h\">Rooms</h2>"
	    "<ul id=\"rooms\" class=\"chat-rooms\"></ul>"
	    "<form id=\"join\" class=\"chat-join\" autocomplete=\"off\">"
	    "<label for=\"room\">Go to a room</label><div class=\"chat-row\">"
	    "<input id=\"room\" name=\"room\" type=\"text\" maxlength=\"32\" "
	    "pattern=\"[A-Za-z0-9_\\-]{1,32}\" spellcheck=\"false\" "
	    "autocapitalize=\"none\" aria-describedby=\"room-hint\" disabled>"
	    "<button class=\"btn btn-small\" type=\"submit\" disabled>Go"
	    "</button></div><p class=\"hint\" id=\"room-hint\">Letters, digits, "
	    "- and _; a new name opens a new room.</p></form></section>"
	    "</aside></div><form id=\"ticket\" method=\"post\" "
	    "action=\"/chat/ticket\" hidden>");
	html_csrf(&h, p);
	html_put(&h, "</form><noscript><div class=\"alert\">The chat needs "
	    "JavaScript. Terminal users can chat with chat-client and a token "
	    "from <a href=\"/account\">your account</a>.</div></noscript>"
	    "<script src=\"/static/chat.js\" defer></script>\n");
	return html_close(&h);
}
