"""Each program's settings table (printed by --help) against the README.

The README's "## Configuration" section has one table per program plus one
("Every server") for the rows the three servers share.  For every program
the names, defaults and ranges in its --help must be exactly the README's,
so a default is written once in the code and once in the README.
"""
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("PARLEY_BIN", os.path.join(ROOT, "build", "bin"))
SERVERS = ("front-end", "back-end", "chat-server")
PROGRAMS = SERVERS + ("chat-client",)
SHARED = "Every server (front-end, back-end, chat-server)"
# Settings a program reads outside its table (none today).
OUTSIDE_TABLES = set()

HELP_ROW = re.compile(r"^  ([A-Z][A-Z0-9_]*) \((required|default (.*?)"
                      r"(?:; (-?\d+)\.\.(-?\d+))?)\)$")


def help_settings(program):
    """{name: (default, range)} from the program's --help."""
    out = subprocess.run([os.path.join(BIN, program), "--help"], capture_output=True,
                         text=True, timeout=10, check=True).stdout
    rows = {}
    for line in out.splitlines():
        m = HELP_ROW.match(line)
        if m:
            default = "required" if m.group(2) == "required" else m.group(3)
            rng = f"{m.group(4)}..{m.group(5)}" if m.group(4) else ""
            rows[m.group(1)] = (default, rng)
    return rows


def readme_tables():
    """{section title: {name: (default, range)}} of README's configuration."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    tables, title = {}, None
    for line in section.splitlines():
        if line.startswith("### "):
            title = line[4:].strip()
            tables[title] = {}
        elif title and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            name, default, rng = cells[0].strip("`"), cells[1].strip("`"), cells[2]
            tables[title][name] = (default, rng)
    return tables


class SettingsDoc(unittest.TestCase):
    def test_tables_match_readme(self):
        tables = readme_tables()
        for program in PROGRAMS:
            with self.subTest(program=program):
                want = dict(tables.get(program, {}))
                if program in SERVERS:
                    want.update(tables.get(SHARED, {}))
                for name in OUTSIDE_TABLES:
                    want.pop(name, None)
                got = help_settings(program)
                self.assertGreater(len(got), 5, f"{program} --help lists no settings")
                self.assertEqual(sorted(set(got) - set(want)), [],
                                 f"{program}: in the code, not in the README")
                self.assertEqual(sorted(set(want) - set(got)), [],
                                 f"{program}: in the README, not in the code")
                for name in sorted(got):
                    self.assertEqual(got[name], want[name],
                                     f"{program} {name}: (default, range) code vs README")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + sys.argv[1:], verbosity=1)
