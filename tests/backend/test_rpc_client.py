"""lib/rpc_client.c against misbehaving servers: deadlines, foreign, late
and duplicate replies, and an unreachable broker (through tests' rpc-call)."""
import json
import os
import subprocess
import threading
import time
import unittest

import pika

import parley_harness as h

RPC_CALL = os.path.join(h.BIN, "rpc-call")


def rpc_call(amqp_url, timeout_ms, *calls, env=None):
    args = [RPC_CALL, str(timeout_ms)]
    for action, data in calls:
        args += [action, json.dumps(data)]
    e = dict(os.environ, AMQP_URL=amqp_url, **(env or {}))
    out = subprocess.run(args, env=e, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"rpc-call exited {out.returncode}: {out.stderr}")
    return out.stdout.splitlines()


class FakeServer(threading.Thread):
    """Consumes `request` and answers through `script(props, body, reply)`."""

    def __init__(self, amqp_url, script):
        super().__init__(daemon=True)
        self.script = script
        self.conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.ch = self.conn.channel()
        self.ch.queue_declare("request")
        self.ch.queue_purge("request")
        self.ch.basic_consume("request", self.on_request, auto_ack=True)
        self.stopping = False

    def on_request(self, ch, method, props, body):
        def reply(correlation_id, payload, delay=0):
            if delay:
                self.conn.call_later(delay, lambda: reply(correlation_id, payload))
                return
            ch.basic_publish("", props.reply_to, json.dumps(payload).encode(),
                             pika.BasicProperties(correlation_id=correlation_id))
        self.script(props, json.loads(body), reply)

    def run(self):
        while not self.stopping:
            self.conn.process_data_events(time_limit=0.1)
        self.conn.close()

    def stop(self):
        self.stopping = True
        self.join(10)


class RpcClientBehaviour(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = h.shared_services()

    def serve(self, script):
        server = FakeServer(self.services.amqp_url, script)
        server.start()
        self.addCleanup(server.stop)
        return server

    def test_foreign_and_duplicate_replies_are_ignored(self):
        def script(props, body, reply):
            n = body["data"]["n"]
            reply("someone-else-1", {"success": True, "n": -1})
            reply(props.correlation_id + "0", {"success": True, "n": -2})
            reply(props.correlation_id, {"success": True, "n": n})
            reply(props.correlation_id, {"success": True, "n": -3})  # duplicate
        self.serve(script)
        lines = rpc_call(self.services.amqp_url, 3000,
                         *[("ECHO", {"n": n}) for n in range(5)])
        self.assertEqual(lines, [f'ok {{"success":true,"n":{n}}}' for n in range(5)])

    def test_deadline_and_late_reply(self):
        def script(props, body, reply):
            # The first call is answered after its deadline, the second at once.
            reply(props.correlation_id, {"success": True, "n": body["data"]["n"]},
                  delay=0.8 if body["data"]["n"] == 0 else 0)
        self.serve(script)
        start = time.monotonic()
        lines = rpc_call(self.services.amqp_url, 300, ("ECHO", {"n": 0}), ("ECHO", {"n": 1}))
        self.assertEqual(lines, ["timeout", 'ok {"success":true,"n":1}'])
        self.assertLess(time.monotonic() - start, 5)

    def test_nobody_consuming_times_out(self):
        start = time.monotonic()
        self.assertEqual(rpc_call(self.services.amqp_url, 400, ("ECHO", {})), ["timeout"])
        self.assertLess(time.monotonic() - start, 5)

    def test_malformed_reply_is_a_failure_not_a_crash(self):
        def script(props, body, reply):
            props2 = pika.BasicProperties(correlation_id=props.correlation_id)
            server.ch.basic_publish("", props.reply_to, b"\xff not json", props2)
        server = self.serve(script)
        lines = rpc_call(self.services.amqp_url, 3000, ("ECHO", {}))
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith('ok {"success":false'), lines)

    def test_unreachable_broker_is_unavailable_at_once(self):
        url = f"amqp://parley:x@127.0.0.1:{h.free_port()}"
        start = time.monotonic()
        lines = rpc_call(url, 5000, ("ECHO", {}), env={"RPC_CALL_CONNECT_MS": "500"})
        self.assertEqual(lines, ["unavailable"])
        self.assertLess(time.monotonic() - start, 4)

    def test_call_completed_while_publishing_is_not_touched_again(self):
        # Issue 12: rpc_call read the pending call after the mq thread's
        # tick had timed it out and freed it (ASan: heap-use-after-free).
        # The publish is slowed past the deadline and a few 100 ms ticks,
        # with the link down so that mq_publish then fails.
        url = f"amqp://parley:x@127.0.0.1:{h.free_port()}"
        lines = rpc_call(url, 20, ("ECHO", {}), ("ECHO", {}),
                         env={"RPC_CALL_CONNECT_MS": "0",
                              "RPC_CALL_PUBLISH_DELAY_MS": "350"})
        self.assertEqual(lines, ["timeout", "timeout"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
