"""A stand-in for `vllm serve` in the serving tests: the same HTTP surface (/health, /v1/completions
with top logprobs), a judge that finds every response worth a 7, and a slow start."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, startup_s = int(sys.argv[1]), float(sys.argv[2])
started = time.monotonic()
print(f"fake judge server on port {port}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        ready = time.monotonic() - started >= startup_s
        self.reply(200 if self.path == "/health" and ready else 503, {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["max_tokens"] == 1:  # the forced verdict position
            choice = {
                "text": "7",
                "logprobs": {"top_logprobs": [{"7": -0.105, "3": -2.3, "x": -4.0}]},
                "finish_reason": "length",
            }
        else:
            choice = {
                "text": "It answers the question.\n</think>\nScore: 7",
                "finish_reason": "stop",
            }
        self.reply(200, {"choices": [choice], "usage": {"completion_tokens": 9}})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
