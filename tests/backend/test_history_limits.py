"""Chat history stays bounded (issue 11 item 7, docs/chat.md "History limits").

A flood of appends into many rooms leaves at most CHAT_HISTORY_ROOMS rooms
(the most recently written ones) and CHAT_HISTORY_KEEP messages per room;
rooms nobody writes to expire after CHAT_HISTORY_IDLE_S.  Private servers:
the cap would otherwise evict other tests' rooms.
"""
import time
import unittest
import uuid

import parley_harness as h

ROOMS, CAP, KEEP = 200, 20, 5


class HistoryLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.private_services()
        cls.pg = cls.services.postgres
        cls.backend = h.backend(cls.services, env={
            "CHAT_HISTORY_ROOMS": str(CAP), "CHAT_HISTORY_KEEP": str(KEEP),
            "CHAT_HISTORY_IDLE_S": "6"}, test="backend_history_limits")[0]
        cls.rpc = h.RpcClient(cls.services.amqp_url, role="chat")  # chat actions

    @classmethod
    def tearDownClass(cls):
        cls.rpc.close()
        assert cls.backend.stop() == 0

    def size(self):
        self.pg.psql("VACUUM chat_messages", db="parley")
        rooms, rows, size = self.pg.query(
            "SELECT count(DISTINCT room), count(*), "
            "pg_total_relation_size('chat_messages') FROM chat_messages")[0]
        return int(rooms), int(rows), int(size)

    def append(self, rooms, per_room):
        origin = uuid.uuid4().hex
        cids, seq = [], 0
        for r in rooms:
            msgs = []
            for _ in range(per_room):
                seq += 1
                msgs.append({"room": r, "origin": origin, "seq": seq, "from": "flood",
                             "content": "x" * 200, "ts": 1})
            cids.append(self.rpc.send("CHAT_APPEND", {"messages": msgs}))
        for reply in self.rpc.wait(cids, timeout=60):
            self.assertEqual(reply, {"success": True})

    def history(self, room):
        reply = self.rpc.call("CHAT_HISTORY", {"room": room, "limit": 1000})
        self.assertTrue(reply["success"], reply)
        return reply["messages"]

    def test_flood_of_rooms_stays_bounded_then_expires(self):
        before = self.size()
        rooms = [f"flood-{i}" for i in range(ROOMS)]
        self.append(rooms, 3)
        # 64 appends into one room: per-room retention prunes it (randomly,
        # about once per 64 messages) without evicting it.
        self.append(["flood-busy"] * 64, 1)
        after = self.size()
        print(f"history flood: {ROOMS + 1} rooms x 3+ messages; rooms/rows/bytes "
              f"before {before}, after {after}", flush=True)
        self.assertLessEqual(after[0], CAP)
        self.assertLessEqual(int(self.pg.query("SELECT count(*) FROM chat_rooms")[0][0]), CAP)
        self.assertEqual(self.history(rooms[0]), [])
        self.assertEqual(len(self.history(rooms[-1])), 3)
        self.assertGreater(len(self.history("flood-busy")), 0)
        h.wait_for(lambda: self.size()[1] == 0, 20, "idle rooms to expire")
        self.assertEqual(self.pg.query("SELECT count(*) FROM chat_rooms"), [["0"]])


if __name__ == "__main__":
    unittest.main()
