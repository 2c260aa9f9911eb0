/* denylist.c — sorted array of the embedded list, binary search. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "denylist.h"
#include "embedded.h"
#include "xmalloc.h"

#define DENYLIST_WORD_MAX	512	/* bytes; longer input is never listed */

static char		**denylist_words;
static size_t		  denylist_n;
static pthread_once_t	  denylist_once = PTHREAD_ONCE_INIT;

static int
denylist_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void
denylist_build(void)
{
	const char	*p = (const char *)embed_common_passwords;
	const char	*end = p + embed_common_passwords_len, *nl;
	size_t		 cap = 4096;

	denylist_words = xcalloc(cap, sizeof(*denylist_words));
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p || strncmp(p, "#!comment:", 10) == 0)
			continue;
		if (denylist_n == cap) {
			cap *= 2;
			denylist_words = xrealloc(denylist_words,
			    cap * sizeof(*denylist_words));
		}
		denylist_words[denylist_n++] = xstrndup(p,
		    (size_t)(nl - p - (nl[-1] == '\r')));
	}
	qsort(denylist_words, denylist_n, sizeof(*denylist_words),
	    denylist_cmp);
}

void
denylist_init(void)
{
	pthread_once(&denylist_once, denylist_build);
}

size_t
denylist_size(void)
{
	denylist_init();
	return denylist_n;
}

static int
denylist_listed(const char *word)
{
	denylist_init();
	return bsearch(&word, denylist_words, denylist_n,
	    sizeof(*denylist_words), denylist_cmp) != NULL;
}

/* The shortest period p such that s is s[0..p) repeated; len if none. */
static size_t
denylist_period(const char *s, size_t len)
{
	size_t p, i;

	for (p = 1; p < len; p++) {
		if (len % p != 0)
			continue;
		for (i = p; i < len && s[i] == s[i - p]; i++)
			;
		if (i == len)
			return p;
	}
	return len;
}

/* 0123456789..., abcdef..., and their reverses (ASCII, case-folded). */
static int
denylist_run(const char *s, size_t len)
{
	size_t	i;
	int	step = (s[1] | 0x20) - (s[0] | 0x20), d;

	if (step == 9 || step == -9)	/* 0 after 9, 9 after 0 */
		step = step > 0 ? -1 : 1;
	if (step != 1 && step != -1)
		return 0;
	for (i = 1; i < len; i++) {
		d = (s[i] | 0x20) - (s[i - 1] | 0x20);
		if (d == -9 * step && s[i] >= '0' && s[i] <= '9' &&
		    s[i - 1] >= '0' && s[i - 1] <= '9')
			continue;	/* digits wrap: ...7890123 */
		if (d != step)
			return 0;
	}
	return 1;
}

int
denylist_contains(const char *password)
{
	char	word[DENYLIST_WORD_MAX + 1];
	size_t	len = strlen(password), p;

	if (len > DENYLIST_WORD_MAX)
		return 0;
	if (denylist_listed(password))
		return 1;
	if (len >= 2 && denylist_run(password, len))
		return 1;
	p = denylist_period(password, len);
	if (p == len)
		return 0;
	if (p == 1)
		return 1;	/* one character repeated */
	memcpy(word, password, p);
	word[p] = '\0';
	return denylist_listed(word) || denylist_run(word, p);
}
