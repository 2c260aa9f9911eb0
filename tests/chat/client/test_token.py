"""chat-client under an account (docs/chat-client.md "Under your account"): CHAT_TOKEN and
CHAT_TOKEN_FILE, in pipe mode, against a chat-server with the real back end; revoking the
token signs the client out and the token is refused from then on."""

import os
import sys
import tempfile
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from clientlib import PipeClient, stop_all  # noqa: E402
from chat_harness import ChatServer, drain  # noqa: E402
from parley_harness import RpcClient, backend, shared_services, wait_for  # noqa: E402

FAST = {"CHAT_CLIENT_RECONNECT_BASE_MS": "100", "CHAT_CLIENT_RECONNECT_CAP_MS": "400"}


class Token(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = shared_services()
        cls.backends = backend(cls.services, replicas=1, test="chat_client_token")
        cls.front = RpcClient(cls.services.amqp_url, role="front")
        cls.srv = ChatServer(amqp_url=cls.services.amqp_url, name="chat-token")
        wait_for(lambda: "chat account events consumed" in cls.srv.daemon.log(), 30,
                 "the account events queue")

    @classmethod
    def tearDownClass(cls):
        stop_all()
        cls.front.close()
        cls.srv.stop()
        for be in cls.backends:
            assert be.stop() == 0

    def call(self, action, data):
        reply = self.front.call(action, data)
        self.assertIs(reply["success"], True, (action, reply))
        return reply

    def test_token_from_env_and_file_then_revoked(self):
        email, sid = f"t{uuid.uuid4().hex[:10]}@example.com", uuid.uuid4().hex * 2
        self.call("REGISTER", {"email": email, "hash": "H"})
        self.call("SESSION_CREATE", {"id_hash": sid, "email": email, "idle_s": 600,
                                     "absolute_s": 3600})
        name = f"Term{uuid.uuid4().hex[:6]}"
        self.call("CHATNAME_SET", {"id_hash": sid, "name": name})
        made = self.call("TOKEN_CREATE", {"id_hash": sid, "label": "laptop"})
        guest = self.srv.client()
        self.addCleanup(guest.close)
        guest.login(f"g{uuid.uuid4().hex[:6]}", ["error"])
        drain(guest)
        # The environment: no name asked; the first line is a message.
        c = PipeClient(self.srv.port, env=dict(FAST, CHAT_TOKEN=made["token"]), tag="env")
        c.expect(f"Welcome {name}! You can now start to chat!")
        c.send("hello from the terminal")
        guest.expect_content(f"{name}: hello from the terminal")
        c.send("#quit")
        self.assertEqual(c.wait(10), 0)
        # A file (its first line), and revocation.
        with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
            f.write(made["token"] + "\nignored\n")
        self.addCleanup(os.unlink, f.name)
        c = PipeClient(self.srv.port, env=dict(FAST, CHAT_TOKEN_FILE=f.name), tag="file")
        c.expect(f"Welcome {name}! You can now start to chat!")
        self.call("TOKEN_REVOKE", {"id_hash": sid, "id": made["id"]})
        c.expect("ERROR auth: signed out")
        self.assertEqual(c.wait(15), 3)
        self.assertIn("The server refused the token", c.stderr())
        self.assertNotIn(made["token"], c.stderr())
        # Without a token the client is a guest, as before.
        g = PipeClient(self.srv.port, f"plain{uuid.uuid4().hex[:6]}", tag="guest")
        g.expect(r"Welcome plain\w+! You can now start to chat!")
        g.send("#quit")
        self.assertEqual(g.wait(10), 0)


if __name__ == "__main__":
    unittest.main()
