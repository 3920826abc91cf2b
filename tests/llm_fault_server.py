"""A loopback OpenAI-compatible server that injects faults on demand.

Real servers do not return 429, 500, slow, empty or cut-off replies when a
test wants them; this one does. It speaks enough of the API for the
``openai`` client: ``POST /v1/completions``, ``POST /v1/chat/completions``,
``GET /v1/models``. By default it answers after ``delay`` seconds with the
prompt's last ``Draft:`` line (a valid text for the validation checks).

Faults are planned per prompt: ``server.plan["marker"] = ["429", "500", "ok"]``
makes the next requests whose final query contains ``marker`` fail with 429,
then 500, then succeed. Actions: ``ok``, ``429`` (with ``Retry-After``),
``500``, ``400`` (a permanent error), ``slow`` (sleep ``slow_seconds``, past the client's timeout),
``empty`` (an empty completion), ``cut`` (half the text, ``finish_reason``
``length``), ``text:...`` (answer this text).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_DRAFT = re.compile(r"Draft: (.*)")


def default_answer(query: str) -> str:
    drafts = _DRAFT.findall(query)
    return " " + drafts[-1].strip() if drafts else " A thing."


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connect at once; the default backlog is 5
    daemon_threads = True


class FaultServer:
    """Start with ``with FaultServer() as server: server.base_url``."""

    def __init__(self, delay: float = 0.0, retry_after: str = "1", slow_seconds: float = 3.0,
                 responder=default_answer):
        self.delay = delay
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.responder = responder
        self.plan: dict[str, list[str]] = {}
        self.requests = 0
        self.answered = 0
        self.log: list[tuple[float, str, str]] = []  # (time, action, query)
        self.auth_headers: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _action(self, query: str) -> str:
        with self._lock:
            self.requests += 1
            for marker in sorted(self.plan):
                if marker in query and self.plan[marker]:
                    action = self.plan[marker].pop(0)
                    break
            else:
                action = "ok"
            self.log.append((time.monotonic(), action, query))
            return action

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without TCP_NODELAY the
            # second waits for the client's delayed ACK (about 40 ms on Linux)
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": "fault-model", "object": "model"}]})

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.auth_headers.append(self.headers.get("authorization", ""))
                chat = self.path.endswith("/chat/completions")
                prompt = body["messages"][-1]["content"] if chat else body.get("prompt", "")
                query = prompt.rsplit("\n\n", 1)[-1]
                action = server._action(query)
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._reply(body, chat, prompt, query, action)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _reply(self, body, chat, prompt, query, action):
                time.sleep(server.delay)
                if action == "429":
                    return self._json(429, {"error": {"message": "slow down", "type": "rate_limit"}},
                                      {"Retry-After": server.retry_after})
                if action == "400":
                    return self._json(400, {"error": {"message": "bad request", "type": "invalid"}})
                if action == "500":
                    return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
                if action == "slow":
                    time.sleep(server.slow_seconds)
                text, finish = server.responder(query), "stop"
                if action == "empty":
                    text = ""
                elif action == "cut":
                    text, finish = text[: max(1, len(text) // 2)], "length"
                elif action.startswith("text:"):
                    text = action[5:]
                usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4,
                         "total_tokens": len(prompt) // 4 + len(text) // 4}
                if chat:
                    choice = {"index": 0, "finish_reason": finish,
                              "message": {"role": "assistant", "content": text}}
                    reply = {"id": "c", "object": "chat.completion", "created": 0,
                             "model": body.get("model", ""), "choices": [choice], "usage": usage}
                else:
                    choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
                    reply = {"id": "c", "object": "text_completion", "created": 0,
                             "model": body.get("model", ""), "choices": [choice], "usage": usage}
                self._json(200, reply)
                with server._lock:
                    server.answered += 1

            def _json(self, status, data, headers=None):
                payload = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); that is the point of "slow"

        return Handler
