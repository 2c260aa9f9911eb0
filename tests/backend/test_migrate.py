"""The upgrade path (scripts/db-migrate): a database created by the schema
of the volumes that already exist (fixtures/schema-9a55b4a.sql, db/ before
040) and holding data is brought to exactly the schema a fresh volume gets
from db/*.sql, keeps its rows, and migrating again changes nothing."""
import os
import subprocess
import unittest

import parley_harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATE = os.path.join(h.ROOT, "scripts", "db-migrate")


class Migrate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = h.Postgres()          # database parley: today's db/*.sql
        cls.pg.psql("CREATE DATABASE old OWNER parley")
        cls.old_url = cls.pg.url.rsplit("/", 1)[0] + "/old"
        cls.fresh_url = cls.pg.url

    def psql(self, url, *args):
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", url] + list(args),
                              check=True, capture_output=True, text=True).stdout.strip()

    def migrate(self, url):
        run = subprocess.run([MIGRATE], env=dict(os.environ, DATABASE_URL=url),
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run

    def schema(self, url):
        dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "-d", url],
                              check=True, capture_output=True, text=True).stdout
        return [line for line in dump.splitlines()
                if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))]

    maxDiff = None

    def test_upgrade_existing_volume(self):
        self.psql(self.old_url, "-f", os.path.join(HERE, "fixtures", "schema-9a55b4a.sql"))
        self.psql(self.old_url, "-c",
                  "INSERT INTO users (email, hash) VALUES ('a@example.com', 'H1'), "
                  "('b@example.com', 'H2'); "
                  "INSERT INTO sessions (id_hash, email, idle_timeout, expires_at) "
                  f"VALUES ('{'a' * 64}', 'a@example.com', '30 minutes', now() + '1 hour'); "
                  "INSERT INTO chat_messages (room, origin, seq, sender, content, ts) "
                  "VALUES ('general', 'o', 1, 'alice', 'hi', 0)")
        self.assertNotEqual(self.schema(self.old_url), self.schema(self.fresh_url))
        run = self.migrate(self.old_url)
        self.assertIn("applied", run.stderr)
        self.assertEqual(self.schema(self.old_url), self.schema(self.fresh_url),
                         "an upgraded volume has exactly a fresh volume's schema")
        rows = self.psql(self.old_url, "-c", "SELECT email, hash, id IS NOT NULL FROM users "
                         "ORDER BY email")
        self.assertEqual(rows.splitlines(), ["a@example.com|H1|t", "b@example.com|H2|t"])
        self.assertEqual(self.psql(self.old_url, "-c", "SELECT count(DISTINCT id) FROM users"), "2")
        self.assertEqual(self.psql(self.old_url, "-c", "SELECT email, client IS NULL FROM sessions"),
                         "a@example.com|t", "yesterday's session survives")
        self.assertEqual(self.psql(self.old_url, "-c", "SELECT sender FROM chat_messages"), "alice")
        # New rows get ids after the old ones; recovery links can be stored.
        self.psql(self.old_url, "-c", "INSERT INTO users (email, hash) VALUES ('c@example.com', 'H3'); "
                  "INSERT INTO recovery_tokens (token_hash, email, expires_at) "
                  f"VALUES ('{'b' * 64}', 'c@example.com', now() + '1 hour')")
        self.assertEqual(self.psql(self.old_url, "-c",
                                   "SELECT count(*) FROM users WHERE id > ALL (SELECT id FROM users "
                                   "WHERE email <> 'c@example.com')"), "1")
        # Again (every start of the compose stack runs it): nothing changes.
        before = self.schema(self.old_url)
        self.migrate(self.old_url)
        self.migrate(self.fresh_url)
        self.assertEqual(self.schema(self.old_url), before)
        self.assertEqual(self.schema(self.fresh_url), before)
        self.assertEqual(self.psql(self.old_url, "-c", "SELECT count(*) FROM users"), "3")

    def test_old_name_keys_rekeyed(self):
        """chat_names rows keyed the old way (A-Z lower-cased, in SQL) get lib/namekey's
        key from the back end (back-end/name_rekey.c); tombstones stay effective."""
        self.pg.psql("CREATE DATABASE names OWNER parley")
        url = self.pg.url.rsplit("/", 1)[0] + "/names"
        self.psql(url, "-f", os.path.join(HERE, "fixtures", "schema-9a55b4a.sql"))
        rows = [  # name, owner ('' = tombstone), lease
            ("\u0410lice", "", "'infinity'"),             # Cyrillic А, deleted account
            ("alice", "r1", "now() + '1 hour'"),          # live lease, now the same key
            ("\uff22ob", "r2", "now() + '1 hour'"),      # fullwidth Ｂ
            ("Zo\u00eb", "", "'infinity'"),                # ë composed
            ("Al\u00adice", "r3", "now() + '1 hour'"),   # soft hyphen: no key now
            ("CAROL", "", "'infinity'"),                    # ASCII: key unchanged
        ]
        values = ", ".join(
            f"(translate('{n}', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), "
            f"'{n}', '{o}', 't', {lease})" for n, o, lease in rows)
        self.psql(url, "-c", "INSERT INTO chat_names (name_key, name, owner, token, "
                  f"lease_until) VALUES {values}")
        self.migrate(url)
        services = h.Services(h.RabbitMQ().url, url)
        be = h.backend(services, test="backend_migrate")[0]
        expect = sorted([("al\u00adice", "Al\u00adice", "r3"), ("alice", "\u0410lice", ""),
                         ("bob", "\uff22ob", "r2"), ("carol", "CAROL", ""),
                         ("zoe\u0308", "Zo\u00eb", "")])

        def keys():
            out = self.psql(url, "-c", "SELECT name_key, name, owner FROM chat_names")
            return sorted(tuple(line.split("|")) for line in out.splitlines())
        h.wait_for(lambda: keys() == expect, 30, f"rekeyed rows {expect}, have {keys()}")
        self.assertIn("chat names rekeyed moved=3 kept_without_key=1", be.log())
        self.assertEqual(be.stop(), 0)
        be = h.backend(services, test="backend_migrate")[0]   # again: nothing moves
        self.assertEqual(keys(), expect)
        self.assertEqual(be.stop(), 0)

    def test_migration_stops_at_a_broken_file(self):
        broken = os.path.join(h.artifact_dir("backend_migrate"), "db-broken")
        os.makedirs(broken, exist_ok=True)
        with open(os.path.join(broken, "001-ok.sql"), "w") as f:
            f.write("CREATE TABLE IF NOT EXISTS m_ok (x int);\n")
        with open(os.path.join(broken, "002-bad.sql"), "w") as f:
            f.write("CREATE TABLE IF NOT EXISTS m_half (x int);\nSELECT no_such_function();\n")
        run = subprocess.run([MIGRATE, broken], env=dict(os.environ, DATABASE_URL=self.fresh_url),
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(run.returncode, 0)
        tables = self.psql(self.fresh_url, "-c", "SELECT string_agg(relname, ',' ORDER BY relname) "
                           "FROM pg_class WHERE relname LIKE 'm\\_%' AND relkind = 'r'")
        self.assertEqual(tables, "m_ok", "a failing file leaves nothing half-applied")
        self.psql(self.fresh_url, "-c", "DROP TABLE m_ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)
