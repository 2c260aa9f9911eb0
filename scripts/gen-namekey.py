#!/usr/bin/env python3
"""Generate lib/namekey_table.c, the data of lib/namekey.c (docs/chat.md, Names).

    gen-namekey.py [--check] [OUTPUT]

Reads Debian 12's Unicode data (package unicode-data 15.0: UnicodeData.txt,
CaseFolding.txt, DerivedCoreProperties.txt) and the confusables of Unicode's
security data as shipped by python3-confusable-homoglyphs (confusables.json),
and writes three sorted tables:

  classes   ranges of code points a name may not contain (by reason) and of
            combining marks (which need a base before them);
  ccc       ranges of non-zero canonical combining classes (for reordering);
  map       code point -> its key string, for every code point whose key is
            not itself: NFKD, the confusable prototype (non-ASCII only: ASCII
            names keep the lab's key, their lower case; the letters of one case
            class share the prototype, a capital's first), NFKD, full
            case folding (C+F), NFKD, repeated until every character of the
            result maps to itself.  Hangul syllables are decomposed by
            namekey.c's code, so only the jamo are in the table.

--check compares OUTPUT (default lib/namekey_table.c) with what would be
written and exits 1 when they differ (the unit test namekey_table runs it);
without the data files it exits 77 (ctest: skipped).
"""
import json
import os
import sys

UCD = os.environ.get("NAMEKEY_UCD", "/usr/share/unicode")
CONFUSABLES = os.environ.get(
    "NAMEKEY_CONFUSABLES",
    "/usr/lib/python3/dist-packages/confusable_homoglyphs/confusables.json")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SBASE, LBASE, VBASE, TBASE = 0xAC00, 0x1100, 0x1161, 0x11A7
LCOUNT, VCOUNT, TCOUNT = 19, 21, 28
SCOUNT = LCOUNT * VCOUNT * TCOUNT

# Class numbers: keep in step with enum nk_class in lib/namekey.c.
CLS_MARK, CLS_SPACE, CLS_CONTROL, CLS_BIDI, CLS_INVISIBLE, CLS_UNASSIGNED = range(1, 7)
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def lines(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [x.strip() for x in line.split(";")]


def cprange(s):
    if ".." in s:
        a, b = s.split("..")
        return range(int(a, 16), int(b, 16) + 1)
    return range(int(s, 16), int(s, 16) + 1)


def load():
    gc, ccc, decomp = {}, {}, {}
    first = None
    for f in lines(os.path.join(UCD, "UnicodeData.txt")):
        cp, name = int(f[0], 16), f[1]
        if name.endswith(", First>"):
            first = cp
            continue
        span = range(first, cp + 1) if name.endswith(", Last>") else [cp]
        for c in span:
            gc[c] = f[2]
            if f[3] != "0":
                ccc[c] = int(f[3])
        if f[5]:
            d = f[5].split()
            if d[0].startswith("<"):
                d = d[1:]
            decomp[cp] = [int(x, 16) for x in d]
    fold = {}
    for f in lines(os.path.join(UCD, "CaseFolding.txt")):
        if f[1] in ("C", "F"):
            fold[int(f[0], 16)] = [int(x, 16) for x in f[2].split()]
    ignorable = set()
    for f in lines(os.path.join(UCD, "DerivedCoreProperties.txt")):
        if f[1] == "Default_Ignorable_Code_Point":
            ignorable.update(cprange(f[0]))
    return gc, ccc, decomp, fold, ignorable


def load_confusables():
    """source -> prototype.  The JSON holds each line of confusables.txt
    (source ; prototype) in both directions, keys in file order; a source
    is on one line only and no prototype character is a source, so a key
    with several entries is a prototype, and of a pair that name only each
    other the one first in the file is the source."""
    with open(CONFUSABLES, encoding="utf-8") as f:
        d = json.load(f)
    order = {k: i for i, k in enumerate(d)}
    proto = {}
    for k, v in d.items():
        if len(k) != 1 or len(v) != 1:
            continue
        t = v[0]["c"]
        back = d.get(t, [])
        if len(t) == 1 and len(back) == 1 and back[0]["c"] == k and order[t] < order[k]:
            continue            # k is the prototype of t
        proto[ord(k)] = [ord(c) for c in t]
    return proto


def classify(gc, ignorable):
    cls = {}
    for c in range(0x110000):
        g = gc.get(c, "Cn")
        if c in BIDI:
            k = CLS_BIDI
        elif g in ("Cc", "Zl", "Zp"):
            k = CLS_CONTROL
        elif g in ("Cn", "Co", "Cs"):
            k = CLS_UNASSIGNED
        elif c in ignorable or g == "Cf":
            k = CLS_INVISIBLE
        elif g == "Zs":
            k = CLS_SPACE
        elif g in ("Mn", "Mc", "Me"):
            k = CLS_MARK
        else:
            k = 0
        if k:
            cls[c] = k
    return cls


def build():
    gc, ccc, decomp, fold, ignorable = load()
    proto = load_confusables()
    cls = classify(gc, ignorable)

    def nfkd(c):
        if SBASE <= c < SBASE + SCOUNT:
            s = c - SBASE
            out = [LBASE + s // (VCOUNT * TCOUNT), VBASE + (s % (VCOUNT * TCOUNT)) // TCOUNT]
            if s % TCOUNT:
                out.append(TBASE + s % TCOUNT)
            return out
        if c in decomp:
            return [x for d in decomp[c] for x in nfkd(d)]
        return [c]

    def reorder(s):
        s = list(s)
        for i in range(1, len(s)):
            j = i
            while j > 0 and ccc.get(s[j], 0) and ccc.get(s[j - 1], 0) > ccc[s[j]]:
                s[j - 1], s[j] = s[j], s[j - 1]
                j -= 1
        return s

    # Confusables first, then case folding.  Names are equal in any case, so
    # all the letters of one case class (those with the same simple case
    # folding) take one prototype: a capital's (Lu, Lt) if one has any, else
    # the others'.  The look-alike of Cyrillic Т is T, and т (which looks
    # like ᴛ) goes with it; Greek μ goes with Μ (M), not with u.  Of the
    # capitals only the I-likes need care: Unicode maps them to "l" (I itself
    # looks like l), but ASCII keeps I and l apart (i is I's key), so an "l"
    # in a capital's prototype is taken as an I (Ю: "lO" -> "IO").
    members = {}
    for x, f in fold.items():
        if len(f) == 1:
            members.setdefault(f[0], []).append(x)

    def capital(m):
        return gc.get(m) in ("Lu", "Lt")

    def class_proto(x):
        rep = fold[x][0] if len(fold.get(x, [])) == 1 else x
        if rep < 0x80:
            return None
        cands = sorted(members.get(rep, []) + [rep])
        for m in [m for m in cands if capital(m)] + [m for m in cands if not capital(m)]:
            if m in proto:
                return [0x49 if y == 0x6C and capital(m) else y for y in proto[m]]
        return None

    def confusable(x):
        if x < 0x80:
            return [x]
        p = class_proto(x)
        return p if p is not None else [x]

    def step(c):
        s = [y for x in nfkd(c) for y in confusable(x)]
        s = [y for x in s for y in nfkd(x)]
        s = [y for x in s for y in fold.get(x, [x])]
        return [y for x in s for y in nfkd(x)]

    memo = {}

    def key(c, depth=0):
        if c in memo:
            return memo[c]
        if depth > 20:
            raise SystemExit(f"gen-namekey: U+{c:04X} does not settle")
        s = step(c)
        if s != [c]:
            s = reorder([y for x in s for y in (key(x, depth + 1) if x != c else [x])])
        memo[c] = s
        return s

    mapping = {}
    for c in range(0x110000):
        if c in cls and cls[c] != CLS_MARK:
            continue
        k = key(c)
        if k != [c] and not SBASE <= c < SBASE + SCOUNT:
            mapping[c] = k
    for c, k in mapping.items():            # every key character is final
        for x in k:
            if key(x) != [x]:
                raise SystemExit(f"gen-namekey: U+{c:04X} -> U+{x:04X} not final")
    if any(SBASE <= c < SBASE + SCOUNT for c in proto):
        raise SystemExit("gen-namekey: a Hangul syllable is a confusable source")
    return cls, ccc, mapping


def ranges(table):
    out, start, prev, val = [], None, None, None
    for c in sorted(table):
        v = table[c]
        if start is not None and c == prev + 1 and v == val:
            prev = c
            continue
        if start is not None:
            out.append((start, prev, val))
        start, prev, val = c, c, v
    if start is not None:
        out.append((start, prev, val))
    return out


def cstring(b):
    return "".join(chr(x) if 0x20 <= x < 0x7F and chr(x) not in '"\\?' else f"\\{x:03o}"
                   for x in b)


def render(cls, ccc, mapping):
    out = ["/* Generated by scripts/gen-namekey.py from Unicode 15.0 (Debian's",
           " * unicode-data and python3-confusable-homoglyphs); do not edit. */",
           '#include "namekey_table.h"', ""]
    cr = ranges(cls)
    out.append(f"const struct nk_range nk_classes[{len(cr)}] = {{")
    out += [f"\t{{ 0x{a:X}, 0x{b:X}, {v} }}," for a, b, v in cr]
    out += ["};", f"const size_t nk_nclasses = {len(cr)};", ""]
    rr = ranges(ccc)
    out.append(f"const struct nk_range nk_ccc[{len(rr)}] = {{")
    out += [f"\t{{ 0x{a:X}, 0x{b:X}, {v} }}," for a, b, v in rr]
    out += ["};", f"const size_t nk_nccc = {len(rr)};", ""]
    pool, where, entries = bytearray(), {}, []
    for c in sorted(mapping):
        b = "".join(chr(x) for x in mapping[c]).encode("utf-8")
        if b not in where:
            i = pool.find(b)
            if i < 0:
                i = len(pool)
                pool += b
            where[b] = i
        entries.append((c, where[b], len(b)))
    if len(pool) >= 1 << 24 or max(n for _, _, n in entries) > 255:
        raise SystemExit("gen-namekey: pool too large")
    out.append(f"const struct nk_map nk_map[{len(entries)}] = {{")
    out += [f"\t{{ 0x{c:X}, ({o}u << 8) | {n} }}," for c, o, n in entries]
    out += ["};", f"const size_t nk_nmap = {len(entries)};", ""]
    out.append("const char nk_pool[] =")
    for i in range(0, len(pool), 48):
        out.append(f'\t"{cstring(pool[i:i + 48])}"')
    out[-1] += ";"
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = args[0] if args else os.path.join(ROOT, "lib", "namekey_table.c")
    for f in (os.path.join(UCD, "UnicodeData.txt"), CONFUSABLES):
        if not os.path.exists(f):
            print(f"gen-namekey: {f} missing (packages unicode-data, "
                  "python3-confusable-homoglyphs)", file=sys.stderr)
            return 77
    text = render(*build())
    if check:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                print(f"gen-namekey: {path} differs from the generator's output; "
                      "run scripts/gen-namekey.py", file=sys.stderr)
                return 1
        print(f"gen-namekey: {path} is up to date")
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
