/*
 * namekey.c — placeholder: ASCII lower-casing of valid UTF-8 only (the
 * confusable-aware key replaces it).
 */
#include <string.h>

#include "namekey.h"
#include "utf8.h"

int
namekey(const char *name, size_t len, char key[NAMEKEY_MAX + 1],
    const char **why)
{
	size_t i;

	if (len == 0 || len > NAMEKEY_MAX) {
		*why = "the name must have 1 to 32 characters";
		return -1;
	}
	if (!utf8_valid(name, len, NULL)) {
		*why = "the name is not valid UTF-8";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c == 0x7f) {
			*why = "the name must not contain spaces or control "
			    "characters";
			return -1;
		}
		key[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : (char)c;
	}
	key[len] = '\0';
	return (int)len;
}

int
namekey_reserved(const char *key)
{
	return strcmp(key, "server") == 0;
}
