"""A local OpenAI-compatible chat endpoint for tests: real sockets, one canned chat completion, every request
kept (headers lower-cased, body parsed) so a test can check exactly what was sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = "Take profit earlier: most losses are assignments."


class Endpoint:
    """POST /v1/chat/completions answers one chat completion; every request's headers and body are kept."""

    def __init__(self, status: int = 200):
        self.requests: list[tuple[dict[str, str], dict]] = []
        self.status = status
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                message = {"role": "assistant", "content": ANSWER}
                reply = {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}  # fmt: skip
                data = json.dumps(reply if endpoint.status == 200 else {"error": {"message": "down"}}).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
