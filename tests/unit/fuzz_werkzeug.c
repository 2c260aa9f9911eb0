/*
 * Fuzz target: the werkzeug hash parser of front-end/pbkdf2.c (a stored
 * hash is input too: the textbook's front end writes whatever it likes).
 * Inputs asking for more than 2000 PBKDF2 rounds are skipped so that every
 * run stays fast; the parser is the same for any count.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pbkdf2.h"

#define FUZZ_ROUNDS_MAX	2000UL

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t	 plen = sizeof(PBKDF2_WERKZEUG_PREFIX) - 1;
	unsigned long	 n;
	char		*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (size > plen && strncmp(s, PBKDF2_WERKZEUG_PREFIX, plen) == 0 &&
	    strtoul(s + plen, NULL, 10) > FUZZ_ROUNDS_MAX) {
		free(s);
		return 0;
	}
	(void)pbkdf2_werkzeug_verify(s, "correct horse", &n);
	free(s);
	return 0;
}
