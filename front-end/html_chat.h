/*
 * html_chat.h — /chat: the chat-name form of a first visit and the chat
 * page's shell, filled and kept live by /static/chat.js (docs/frontend.md
 * "Chat page").
 */
#ifndef PARLEY_HTML_CHAT_H
#define PARLEY_HTML_CHAT_H

#include "html.h"

/* name: as typed (or NULL); error: shown at the field (or NULL). */
char	*html_chat_name(const struct page *, const char *name,
	    const char *error);
/* The page of a user whose chat name is name; ws_url: CHAT_WS_URL. */
char	*html_chat_page(const struct page *, const char *name,
	    const char *ws_url);

#endif
