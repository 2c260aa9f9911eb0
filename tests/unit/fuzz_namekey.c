/*
 * Fuzz target: lib/namekey.c on any bytes.  Beyond the sanitizers it checks
 * what the callers rely on: a key fits NAMEKEY_MAX and is valid UTF-8 of the
 * length returned; a refusal says why; plain ASCII keys as its lower case;
 * and a key that is itself a usable name is its own key (idempotence).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namekey.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_ascii(const char *s, size_t n, const char *key, int len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return;
	if (len != (int)n)
		abort();
	for (i = 0; i < n; i++)
		if (key[i] != (s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' :
		    s[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 key[NAMEKEY_MAX + 1], again[NAMEKEY_MAX + 1];
	const char	*why = NULL, *s = (const char *)data;
	int		 n, m;

	if ((n = namekey(s, size, key, &why)) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (n <= 0 || n > NAMEKEY_MAX || key[n] != '\0' ||
	    !utf8_valid(key, (size_t)n, NULL))
		abort();
	fuzz_check_ascii(s, size, key, n);
	why = NULL;
	if ((m = namekey(key, (size_t)n, again, &why)) != -1 &&
	    (m != n || memcmp(key, again, (size_t)n) != 0))
		abort();
	(void)namekey_reserved(key);
	return 0;
}
