/*
 * fuzz_driver.c — runs a libFuzzer-style target without libFuzzer, so every
 * fuzz target also runs in the ordinary (gcc, sanitizer) test suite:
 * each file named on the command line (or in a directory named there), then
 * a fixed number of pseudo-random mutations of them.  With -DPARLEY_FUZZ=ON
 * and clang, the same target links against libFuzzer for real fuzzing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Optional, as in libFuzzer: set-up before the first input. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));
int	main(int, char **);

#define MUTATIONS	20000
#define FUZZ_MAX_INPUT	(256 * 1024)

static uint8_t	*corpus[1024];
static size_t	 corpus_len[1024], ncorpus;

static void
add_file(const char *path)
{
	FILE	*f = fopen(path, "rb");
	uint8_t	*buf;
	size_t	 n;

	if (f == NULL || ncorpus == 1024) {
		if (f != NULL)
			fclose(f);
		return;
	}
	buf = malloc(FUZZ_MAX_INPUT);
	n = fread(buf, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	corpus[ncorpus] = buf;
	corpus_len[ncorpus++] = n;
}

static void
add_path(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 sub[4096];

	if (stat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			add_file(sub);
		}
	closedir(d);
}

/* Flip, insert, delete and splice bytes of a corpus entry. */
static size_t
mutate(uint8_t *out, unsigned *seed)
{
	size_t	src = ncorpus ? (size_t)rand_r(seed) % ncorpus : 0;
	size_t	n = ncorpus ? corpus_len[src] : 0, i, edits;

	if (n > 0)
		memcpy(out, corpus[src], n);
	edits = 1 + (size_t)rand_r(seed) % 8;
	for (i = 0; i < edits; i++) {
		size_t pos = n ? (size_t)rand_r(seed) % n : 0;
		switch (rand_r(seed) % 4) {
		case 0:
			if (n)
				out[pos] ^= (uint8_t)(1u << (rand_r(seed) % 8));
			break;
		case 1:
			if (n < FUZZ_MAX_INPUT - 1) {
				memmove(out + pos + 1, out + pos, n - pos);
				out[pos] = (uint8_t)rand_r(seed);
				n++;
			}
			break;
		case 2:
			if (n) {
				memmove(out + pos, out + pos + 1, n - pos - 1);
				n--;
			}
			break;
		default:
			if (n)
				out[pos] = "\0\xff{}\":\\%&=;\r\n "[rand_r(seed) % 15];
			break;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	uint8_t		*buf = malloc(FUZZ_MAX_INPUT);
	unsigned	 seed = 12345;
	size_t		 n;
	int		 i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		add_path(argv[i]);
	for (i = 0; i < MUTATIONS; i++) {
		n = mutate(buf, &seed);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("fuzz-driver: %zu corpus files, %d mutations, no crash\n",
	    ncorpus, MUTATIONS);
	for (n = 0; n < ncorpus; n++)
		free(corpus[n]);
	free(buf);
	return 0;
}
