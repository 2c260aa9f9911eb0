#!/usr/bin/python3
"""Include cycles between C modules (issue 9): fails on any strongly
connected group of two or more modules, unless tests/cycles.allow lists
exactly that group.

A module is a .c/.h pair (or a lone .c or .h) in one directory; an edge
A -> B is an `#include "b.h"` line in A's .c or .h.  Headers resolve in the
including file's directory first, then in lib/ and chat/proto/ (the include
paths the targets export).  Usage: tests/cycles.py [ROOT]
"""

import os
import re
import sys

DIRS = ["lib", "chat/proto", "chat/server", "chat/client", "front-end", "back-end"]
SEARCH = ["lib", "chat/proto"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root):
    """module name ("dir/base") -> list of its files."""
    mods = {}
    for d in DIRS:
        path = os.path.join(root, d)
        if not os.path.isdir(path):
            continue
        for f in sorted(os.listdir(path)):
            base, ext = os.path.splitext(f)
            if ext in (".c", ".h"):
                mods.setdefault(f"{d}/{base}", []).append(os.path.join(path, f))
    return mods


def edges(root, mods):
    graph = {m: set() for m in mods}
    for m, files in mods.items():
        d = os.path.dirname(m)
        for path in files:
            with open(path, errors="replace") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                base = os.path.splitext(inc)[0]
                for where in [d] + SEARCH:
                    target = os.path.normpath(f"{where}/{base}")
                    if target in mods and os.path.exists(os.path.join(root, where, inc)):
                        if target != m:
                            graph[m].add(target)
                        break
    return graph


def sccs(graph):
    """Tarjan's algorithm, iteratively: the strongly connected groups."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                group = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group.add(w)
                    if w == v:
                        break
                out.append(group)
    return out


def allowed(root):
    """Groups listed in tests/cycles.allow: one group per line, modules
    separated by spaces, '#' starts a comment."""
    groups = []
    path = os.path.join(root, "tests", "cycles.allow")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if line:
                    groups.append(frozenset(line))
    return groups


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    mods = modules(root)
    graph = edges(root, mods)
    allow = allowed(root)
    bad = 0
    groups = [g for g in sccs(graph) if len(g) > 1]
    for g in groups:
        ok = frozenset(g) in allow
        bad += not ok
        print(f"{'allowed' if ok else 'CYCLE'}: {' '.join(sorted(g))}")
    print(f"{len(mods)} modules, {sum(len(e) for e in graph.values())} includes, "
          f"{len(groups)} cycles ({bad} not allowed)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
