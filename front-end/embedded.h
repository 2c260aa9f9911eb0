/* embedded.h — files compiled into the binary (see embed.cmake): the image
 * is FROM scratch, so the stylesheet and the password list cannot be read
 * from disk at run time. */
#ifndef PARLEY_EMBEDDED_H
#define PARLEY_EMBEDDED_H

#include <stddef.h>

extern const unsigned char	embed_style_css[];
extern const size_t		embed_style_css_len;
extern const unsigned char	embed_chat_js[];
extern const size_t		embed_chat_js_len;
extern const unsigned char	embed_chat_css[];
extern const size_t		embed_chat_css_len;
extern const unsigned char	embed_common_passwords[];
extern const size_t		embed_common_passwords_len;

#endif
