"""A stand-in for the textbook's Python front end (it490 example-midterm /
example-final), written from its documented behaviour (issue 10), not its
code: it talks to the back end exactly like the book does.

- a new pika.BlockingConnection per request;
- queue_declare(queue='request') — classic, non-durable, no arguments;
- an exclusive, server-named reply queue;
- basic_publish to 'request' with reply_to and NO correlation_id;
- basic_get(auto_ack=True) every 0.1 s, giving up after about a second
  ("No response from back end.");
- passwords hashed like werkzeug's generate_password_hash
  ("pbkdf2:sha256:260000$salt$hex") and checked in the front end after
  GETHASH; e-mail addresses sent exactly as typed.
"""
import hashlib
import hmac
import json
import secrets
import string
import time

import pika

QUEUE = "request"
ITERATIONS = 260000
POLLS = 12          # 12 x 0.1 s: the book gives up after about 1.2 s


def werkzeug_hash(password, iterations=ITERATIONS):
    salt = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2:sha256:{iterations}${salt}${digest.hex()}"


def werkzeug_check(stored, password):
    """check_password_hash for the pbkdf2:sha256 method."""
    try:
        method, salt, hexdigest = stored.split("$", 2)
        kind, name, iterations = method.split(":")
    except ValueError:
        return False
    if kind != "pbkdf2" or name != "sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), hexdigest)


class BookFrontend:
    def __init__(self, amqp_url):
        self.params = pika.URLParameters(amqp_url)

    def send(self, action, data):
        """One request on a fresh connection; the reply, or None on silence."""
        conn = pika.BlockingConnection(self.params)
        try:
            ch = conn.channel()
            ch.queue_declare(queue=QUEUE)
            reply_queue = ch.queue_declare(queue="", exclusive=True).method.queue
            ch.basic_publish(exchange="", routing_key=QUEUE,
                             body=json.dumps({"action": action, "data": data}),
                             properties=pika.BasicProperties(reply_to=reply_queue))
            for _ in range(POLLS):
                time.sleep(0.1)
                method, _props, body = ch.basic_get(queue=reply_queue, auto_ack=True)
                if method is not None:
                    return json.loads(body)
            return None
        finally:
            conn.close()

    def register(self, email, password):
        return self.send("REGISTER", {"email": email, "hash": werkzeug_hash(password)})

    def login(self, email, password):
        """True, False (wrong password / unknown user) or None (no answer)."""
        reply = self.send("GETHASH", {"email": email})
        if reply is None:
            return None
        if not reply.get("success"):
            return False
        return werkzeug_check(reply["hash"], password)
