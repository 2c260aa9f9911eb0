#!/usr/bin/python3
"""The chat name and room limits are written in three places that must
agree: chat/proto/vocab.h (server and client), back-end/action_chat.c (the
back end's checks) and db/020-chat.sql (the schema's CHECKs); the name keys'
limit is lib/namekey.h's and db/062-name-keys.sql's.  Fails, naming
the place, when one of them differs."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def c_defines(path):
    """NAME -> int for the '#define NAME expr' lines of a C file."""
    out = {}
    for name, expr in re.findall(r"^#define\s+(\w+)\s+([^/\n]+)", read(path), re.M):
        expr = expr.strip()
        for k, v in out.items():
            expr = re.sub(rf"\b{k}\b", str(v), expr)
        if re.fullmatch(r"[0-9()*+ ]+", expr):
            out[name] = eval(expr)  # digits and * + ( ) only
    return out


def sql_limits(path):
    """column -> upper bound of CHECK (length(column) BETWEEN 1 AND N)."""
    found = re.findall(r"CHECK \(length\((\w+)\) BETWEEN 1 AND (\d+)\)", read(path))
    return {col: int(n) for col, n in found}


def main():
    vocab = c_defines("chat/proto/vocab.h")
    backend = c_defines("back-end/action_chat.c")
    sql = sql_limits("db/020-chat.sql")
    name_bytes, room_chars = vocab["NAME_MAX_BYTES"], vocab["ROOM_MAX_CHARS"]
    checks = [
        ("vocab.h NAME_MAX_BYTES == NAME_MAX_CHARS * 4 (UTF-8)",
         name_bytes == vocab["NAME_MAX_CHARS"] * 4),
        ("back-end/action_chat.c CHAT_NAME_MAX == NAME_MAX_BYTES",
         backend.get("CHAT_NAME_MAX") == name_bytes),
        ("back-end/action_chat.c CHAT_ROOM_MAX == ROOM_MAX_CHARS",
         backend.get("CHAT_ROOM_MAX") == room_chars),
    ]
    for col in ("name", "sender"):
        checks.append((f"db/020-chat.sql length({col}) == NAME_MAX_BYTES",
                       sql.get(col) == name_bytes))
    # A key can be longer than its name (lib/namekey.h); db/062 widens it.
    checks.append(("db/062-name-keys.sql length(name_key) == namekey.h NAMEKEY_MAX",
                   sql_limits("db/062-name-keys.sql").get("name_key") ==
                   c_defines("lib/namekey.h").get("NAMEKEY_MAX")))
    checks.append(("db/020-chat.sql length(room) == ROOM_MAX_CHARS",
                   sql.get("room") == room_chars))
    bad = [what for what, ok in checks if not ok]
    for what in bad:
        print(f"FAIL {what} (vocab.h: names {name_bytes} bytes, rooms {room_chars}; "
              f"back end: {backend.get('CHAT_NAME_MAX')}, {backend.get('CHAT_ROOM_MAX')}; "
              f"SQL: {sql})")
    print(f"{len(checks) - len(bad)} of {len(checks)} limits agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
