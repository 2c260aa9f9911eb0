"""/chat end to end in Chromium (tests/frontend/chat.mjs), issue 13: two
browser users on two front ends whose pages use two chat-server replicas, a
lab-protocol client (the lab's framing) and a telnet client in one room:
messages both ways, presence, mentions, a room switch, history, a guest
refused an account's name, reconnect after a replica restart without
repeats, and "log out everywhere" closing the page's socket.  Screenshots
go to tests/artifacts/frontend_chat_browser/."""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "chat", "server"))
import fe_client as fc  # noqa: E402
import parley_harness as h  # noqa: E402
from chat_harness import ChatServer  # noqa: E402
from test_browser import node_ready  # noqa: E402

TEST = "frontend_chat_browser"


class ChatBrowser(unittest.TestCase):
    def test_chat_in_chromium(self):
        if not node_ready():
            raise unittest.SkipTest("node or /usr/bin/chromium missing")
        services = h.shared_services()
        backend = fc.backend(services, test=TEST)
        ws = (h.free_port(), h.free_port())
        fes = [fc.frontend(services, test=TEST, name=f"front-end-{n}",
                           env={"CHAT_WS_URL": f"ws://127.0.0.1:{p}/ws"})
               for n, p in zip("ab", ws)]
        fe_ports = [d.port for d in fes]
        origins = ", ".join(f"http://127.0.0.1:{p}" for p in fe_ports)
        chats = [ChatServer(amqp_url=services.amqp_url, name=f"chat-{n}",
                            env={"CHAT_WS_PORT": str(p), "CHAT_WS_ORIGINS": origins,
                                 "CHAT_DRAIN_TIMEOUT": "2"})
                 for n, p in zip("ab", ws)]
        shots = h.artifact_dir(TEST)
        for f in os.listdir(shots):
            if f.endswith(".png"):
                os.unlink(os.path.join(shots, f))
        env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{fe_ports[0]}",
                   BASE_URL2=f"http://127.0.0.1:{fe_ports[1]}", ARTIFACTS=shots)
        node = subprocess.Popen(["node", os.path.join(HERE, "chat.mjs")], env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, bufsize=1)
        transcript = []
        try:
            self.drive(node, chats, transcript)
            node.stdin.close()
            rc = node.wait(timeout=30)
        finally:
            if node.poll() is None:
                node.kill()
            rest = node.stdout.read()
            transcript.append(rest)
            with open(os.path.join(shots, "browser.log"), "w") as f:
                f.write("".join(transcript))
            print("".join(transcript))
        self.assertEqual(rc, 0, "".join(transcript)[-3000:])
        pngs = sorted(f for f in os.listdir(shots) if f.endswith(".png"))
        self.assertGreaterEqual(len(pngs), 10, pngs)
        for d in fes:
            self.assertEqual(d.stop(), 0)
        for c in chats:
            c.stop()
        backend.stop()

    def drive(self, node, chats, transcript):
        a, b = chats
        lab = telnet = None
        guest, tel = "lab" + os.urandom(3).hex(), "tel" + os.urandom(3).hex()
        while True:
            line = node.stdout.readline()
            if not line:
                return
            transcript.append(line)
            if not line.startswith("STEP "):
                continue
            _, name, data = line.rstrip("\n").split(" ", 2)
            data = json.loads(data)
            reply = {}
            if name == "names":
                # A guest of the lab protocol asks for an account's name: refused.
                lab = b.client()
                lab.hello(data["name1"])
                refused = lab.recv()
                self.assertNotEqual(refused.get("type"), "WELCOME", refused)
                # The contract's wording, or the lab's "taken" while the owner is
                # connected (both refuse; the guest may try another name).
                self.assertRegex(refused.get("content", ""),
                                 "belongs to an account|is taken")
                lab.login(guest)
                self.join(lab, data["room"])
                telnet = a.text()
                telnet.send_line(tel)
                telnet.expect(f"Welcome {tel}! You can now start to chat!")
                telnet.send_line("/join " + data["room"])
                self.expect_text(telnet, "", prefix=f"SERVER: you are now in {data['room']} ")
                reply = {"lab": guest, "telnet": tel}
            elif name == "sent":
                lab.recv_until(lambda m: m.get("content", "").endswith(": " + data["text"]))
                self.expect_text(telnet, ": " + data["text"])
                lab.chat(f"hi {self.name1(transcript)}, from the lab")
                telnet.send_line("telnet says hi")
            elif name == "in-side":
                self.join(lab, data["room"])
                reply = {"text": "a line in the other room"}
                lab.chat(reply["text"])
            elif name == "restart-a":
                self.join(lab, data["room"])
                a.daemon.stop()
                reply = {"text": "said while replica a was away"}
                lab.chat(reply["text"])
            elif name == "restarted":
                a.daemon.start()
                a.daemon.wait_http(a.admin_port)
            node.stdin.write("GO " + json.dumps(reply) + "\n")
            node.stdin.flush()
            if name == "done":
                return

    @staticmethod
    def join(lab, room):
        lab.chat("/join " + room)
        lab.recv_until(lambda m: m.get("content", "").startswith(
            f"SERVER: you are now in {room} "))

    @staticmethod
    def expect_text(telnet, suffix, prefix=""):
        while True:
            line = telnet.line()
            if line.startswith(prefix) and line.endswith(suffix):
                return

    @staticmethod
    def name1(transcript):
        for line in transcript:
            if line.startswith("STEP names "):
                return json.loads(line.split(" ", 2)[2])["name1"]
        raise AssertionError("no names step")


if __name__ == "__main__":
    unittest.main(verbosity=2)
