/*
 * namekey_table.h — the generated data of namekey.c (lib/namekey_table.c,
 * written by scripts/gen-namekey.py; every table is sorted by code point).
 */
#ifndef PARLEY_NAMEKEY_TABLE_H
#define PARLEY_NAMEKEY_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct nk_range {
	uint32_t	lo, hi;		/* inclusive */
	uint8_t		val;
};

struct nk_map {
	uint32_t	cp;
	uint32_t	ref;		/* offset in nk_pool << 8 | bytes */
};

extern const struct nk_range	nk_classes[];	/* enum nk_class, not 0 */
extern const size_t		nk_nclasses;
extern const struct nk_range	nk_ccc[];	/* canonical combining class */
extern const size_t		nk_nccc;
extern const struct nk_map	nk_map[];	/* code point -> key (UTF-8) */
extern const size_t		nk_nmap;
extern const char		nk_pool[];

#endif
