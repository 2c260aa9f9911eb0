"""A stand-in for the textbook's Python back end, written from its
documented behaviour (issue 10), not its code: queue_declare(queue='request'),
basic_consume with auto_ack, replies published to reply_to WITHOUT a
correlation_id, REGISTER as SELECT-then-INSERT (here over a dict)."""
import json
import threading

import pika

QUEUE = "request"


class BookBackend(threading.Thread):
    def __init__(self, amqp_url):
        super().__init__(daemon=True)
        self.conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.ch = self.conn.channel()
        # Raises ChannelClosedByBroker (PRECONDITION_FAILED) if Parley's
        # daemons had declared the queue any other way.
        self.ch.queue_declare(queue=QUEUE)
        self.ch.basic_consume(queue=QUEUE, on_message_callback=self.on_request,
                              auto_ack=True)
        self.users = {}
        self.answered = 0
        self.stopping = False

    def handle(self, request):
        action, data = request.get("action"), request.get("data") or {}
        if action == "REGISTER":
            if data.get("email") in self.users:
                return {"success": False, "message": "User already exists"}
            self.users[data.get("email")] = data.get("hash")
            return {"success": True}
        if action == "GETHASH":
            if data.get("email") in self.users:
                return {"success": True, "hash": self.users[data["email"]]}
            return {"success": False}
        return {"success": False, "message": "Unknown action"}

    def on_request(self, ch, method, props, body):
        reply = self.handle(json.loads(body))
        self.answered += 1
        ch.basic_publish(exchange="", routing_key=props.reply_to, body=json.dumps(reply))

    def run(self):
        while not self.stopping:
            self.conn.process_data_events(time_limit=0.1)
        self.conn.close()

    def stop(self):
        self.stopping = True
        self.join(10)
