/* page_chat.h — /chat, its name form, the WebSocket ticket and the page's
 * script and stylesheet (docs/frontend.md "Chat page"). */
#ifndef PARLEY_PAGE_CHAT_H
#define PARLEY_PAGE_CHAT_H

#include "http.h"

enum step	page_chat(struct req *);
enum step	page_chat_name(struct req *);
enum step	page_chat_ticket(struct req *);
enum step	page_chat_js(struct req *);
enum step	page_chat_css(struct req *);

#endif
